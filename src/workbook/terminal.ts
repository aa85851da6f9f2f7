/** Terminal progress of a run: one line rewritten in place on a TTY, plain lines in CI. */
export interface RunProgress {
  notebook(name: string, position: number, of: number): void;
  cell(done: number, of: number, seconds: number): void;
  finish(ok: boolean, seconds: number): void;
}

export function runProgress(stream: NodeJS.WriteStream = process.stderr): RunProgress {
  const tty = Boolean(stream.isTTY) && process.env.CI !== 'true';
  let label = '';
  let started = Date.now();
  const line = (text: string, final: boolean) => {
    if (tty) stream.write(`\r\x1b[2K${text}${final ? '\n' : ''}`);
    else stream.write(text + '\n');
  };
  return {
    notebook(name, position, of) {
      label = `[${position}/${of}] ${name}`;
      started = Date.now();
      line(`${label}: starting kernel`, false);
    },
    cell(done, of, seconds) {
      const width = 20;
      const full = Math.round((done / Math.max(1, of)) * width);
      const elapsed = ((Date.now() - started) / 1000).toFixed(1);
      line(`${label} [${'#'.repeat(full)}${'.'.repeat(width - full)}] cell ${done}/${of} (${seconds.toFixed(1)}s) ${elapsed}s`, false);
    },
    finish(ok, seconds) {
      line(`${label}: ${ok ? 'ok' : 'FAILED'} in ${seconds.toFixed(1)}s`, true);
    },
  };
}
