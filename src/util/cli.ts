/** Command-line parsing shared by the workbook's small CLIs (generate, export, import). */
import { Command, CommanderError } from 'commander';

/**
 * Parse `argv` (without node and script) with a commander program built with
 * `.exitOverride()`. Returns the options, or null when help was shown. A usage error becomes
 * a plain Error with commander's message; stray positional arguments are refused by name.
 */
export function parseCommand(cmd: Command, argv: string[]): Record<string, any> | null {
  try {
    cmd.parse(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError && (e.code === 'commander.helpDisplayed' || e.code === 'commander.help')) return null;
    throw new Error((e as Error).message.replace(/^error: /, ''));
  }
  if (cmd.args.length) throw new Error(`unexpected argument "${cmd.args[0]}"`);
  return cmd.opts();
}
