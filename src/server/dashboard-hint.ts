/** The closing lines of `bearlumen demo` (`npm start`): how to see its data in the dashboard. */

/** Where the demo's data went and the key that reads it. */
export interface DashboardHintOptions {
  /** The key of the demo's tenant (shown so it can be pasted; it is a local development key). */
  apiKey: string;
  /** The SQLite file of the local run, or undefined when the demo used a running server (`--url`). */
  dbPath?: string;
  /** The server of a `--url` run. */
  url?: string;
  /** The path `npm run serve` uses when no --db is given. */
  defaultDbPath: string;
}

/** Text telling the user how to open the dashboard on the demo's data. */
export function dashboardHint(options: DashboardHintOptions): string {
  if (options.url !== undefined) {
    return `\nSee these costs in the dashboard: open ${options.url.replace(/\/+$/, '')}/ and paste your API key.\n`;
  }
  const db = options.dbPath === undefined || options.dbPath === options.defaultDbPath ? '' : ` -- --db ${options.dbPath}`;
  return [
    '',
    'See these costs in the dashboard:',
    `  1. npm run serve${db}`,
    '  2. open http://127.0.0.1:8080/ in a browser',
    `  3. paste this key (tenant "demo"): ${options.apiKey}`,
    '',
  ].join('\n');
}
