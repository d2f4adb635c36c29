#!/usr/bin/env node
/**
 * The `bearlumen` command (every command takes --help):
 *   bearlumen serve [--host 127.0.0.1] [--port 8080] [--db PATH] [--prices-data FILE] [timeouts]   (cli/serve.ts)
 *   bearlumen keys create --db PATH --tenant NAME                             (cli/keys.ts; prints the new key on stdout only)
 *   bearlumen keys revoke --db PATH --key KEY                                 (the key stops working within 1 s)
 *   bearlumen prices MODEL [--provider P] [--at TIME] [--json]                (cli/prices.ts; exit 1 when unpriced)
 *   bearlumen demo [...]                                                      (demo.ts)
 *   bearlumen report --url URL --api-key KEY [--by agent] [--range 7d]        (report-command.ts; cost tables from a running server)
 * Only Node built-ins and dependency-free modules are imported statically, so a missing server
 * dependency becomes a clear "npm install …" message instead of a stack trace.
 */
import { keys } from './cli/keys';
import { prices } from './cli/prices';
import { serve } from './cli/serve';
import { printHelp, USAGE, UsageError } from './cli/usage';

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve':
      return serve(rest);
    case 'keys':
      return keys(rest);
    case 'prices':
      return prices(rest);
    case 'demo': {
      const demo = await import('./demo');
      return demo.runDemo(rest);
    }
    case 'report': {
      const report = await import('./report-command');
      return report.runReport(rest);
    }
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      return printHelp(USAGE);
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof UsageError || (error as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
    const usage = error instanceof UsageError ? error.usage : USAGE;
    process.stderr.write(`bearlumen: ${(error as Error).message}\n\n${usage}\n`);
    process.exitCode = 2;
    return;
  }
  process.stderr.write(`bearlumen: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
