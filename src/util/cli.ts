/**
 * What every workbook CLI (workbook, data, rankings, generate, bench, export, import) shares: a
 * bad option, an unknown option or a bad input file gives ONE line on stderr, `<cli>: <what>`
 * (a file with several bad lines: that line, then one indented `file:line: reason` each), and
 * exit status 2 before anything is written; any other failure gives one line and exit 1
 * (DEBUG=1 adds the stack). `--help` prints the usage and exits 0.
 */
import { Command, CommanderError } from 'commander';
import * as path from 'path';
import { InputError } from './jsonl';

/**
 * Parse `argv` (without node and script) with `cmd`. Returns the options, or null when help
 * was shown. A usage error (unknown option, missing or invalid value) becomes an InputError
 * with commander's message; stray positional arguments are refused by name.
 */
export function parseCommand(cmd: Command, argv: string[]): Record<string, any> | null {
  const unknown = unknownOption(cmd, argv);
  if (unknown) throw new InputError(`unknown option '${unknown}'`);
  cmd.exitOverride().configureOutput({ writeErr: () => undefined, writeOut: (s) => process.stdout.write(s) });
  try {
    cmd.parse(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError && ['commander.helpDisplayed', 'commander.help', 'commander.version'].includes(e.code)) return null;
    throw new InputError((e as Error).message.replace(/^error: /, '').split('\n')[0]);
  }
  if (cmd.args.length) throw new InputError(`unexpected argument "${cmd.args[0]}"`);
  return cmd.opts();
}

/**
 * The first option in `argv` that `cmd` does not know, or null. Commander reports a missing
 * required option before an unknown one, which hides a misspelt name (`--modle x` would
 * read "required option '--model <dir>' not specified").
 */
function unknownOption(cmd: Command, argv: string[]): string | null {
  // flag -> how it takes a value: 'required' (the next word, whatever it is), 'optional' (the next word unless it is an option) or 'none'
  const known = new Map<string, 'required' | 'optional' | 'none'>();
  for (const o of cmd.options) for (const flag of [o.long, o.short]) if (flag) known.set(flag, o.required ? 'required' : o.optional ? 'optional' : 'none');
  known.set('--help', 'none').set('-h', 'none');
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') break;
    if (!a.startsWith('-') || a === '-') continue;
    const flag = a.includes('=') ? a.slice(0, a.indexOf('=')) : a;
    if (!known.has(flag)) return flag;
    const takes = known.get(flag);
    if (a.includes('=') || takes === 'none') continue;
    if (takes === 'required' || (i + 1 < argv.length && !argv[i + 1].startsWith('-'))) i++; // its value
  }
  return null;
}

/**
 * Run `fn`; an error it throws about one of `paths` (its message starts with the path, as
 * the readers' errors do) is bad input and becomes an InputError.
 */
export function aboutInput<T>(fn: () => T, ...paths: string[]): T {
  try {
    return fn();
  } catch (e) {
    const message = (e as Error)?.message ?? '';
    const named = paths.filter(Boolean).flatMap((p) => [p, path.normalize(p).replace(/\/$/, '')]);
    if (!(e instanceof InputError) && named.some((p) => message.startsWith(p))) throw new InputError(message);
    throw e;
  }
}

/** aboutInput for an async step: its rejection is relabelled the same way. */
export async function aboutInputAsync<T>(fn: () => Promise<T>, ...paths: string[]): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    return aboutInput(
      () => {
        throw e;
      },
      ...paths,
    );
  }
}

/** The exit status for an error thrown by a CLI: 2 for bad input, 1 for anything else. */
export function exitStatus(e: unknown): number {
  return e instanceof InputError ? 2 : 1;
}

/** Run a CLI's `main`, turning a thrown error into one line on stderr and its exit status. */
export function runCli(name: string, main: () => Promise<unknown> | unknown): void {
  Promise.resolve()
    .then(main)
    .catch((e: unknown) => {
      const err = e instanceof Error ? e : new Error(String(e));
      // an input error may list every bad line of a file (indented below its first line)
      const line = process.env.DEBUG ? (err.stack ?? err.message) : e instanceof InputError ? err.message : err.message.split('\n')[0];
      process.stderr.write(`${name}: ${line}\n`);
      // exit now: an engine's worker threads would otherwise keep the process alive
      process.exit(exitStatus(e));
    });
}
