/** `bearlumen demo`: placeholder until the demo is written (owned by the SDK helper). */
export async function runDemo(_argv: string[]): Promise<void> {
  throw new Error('bearlumen demo: not implemented yet');
}
