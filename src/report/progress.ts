/**
 * A progress bar for long cells. In a notebook it updates ONE output in place
 * (update_display_data on one display id); in a script or test it prints plain lines,
 * at most one every `everySeconds` (and one at the end).
 */
import { escapeHtml } from '../util/escape';
import { currentWriter, newDisplayId, sendBundle } from './kernel';

export interface Progress {
  /** advance by `n` (default 1); `info` is shown after the bar, e.g. "loss 2.31" */
  tick(n?: number, info?: string): void;
  /** mark finished (also called when the count reaches `total`) */
  done(info?: string): void;
}

function bar(fraction: number, width: number): string {
  const full = Math.round(Math.max(0, Math.min(1, fraction)) * width);
  return '#'.repeat(full) + '.'.repeat(width - full);
}

function clock(seconds: number): string {
  const s = Math.round(seconds);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

export function progress(total: number, label = '', opts: { everySeconds?: number; log?: (line: string) => void } = {}): Progress {
  const writer = currentWriter();
  const id = newDisplayId();
  const start = Date.now();
  const every = (opts.everySeconds ?? (writer ? 0.25 : 5)) * 1000;
  const log = opts.log ?? ((line: string) => process.stdout.write(line + '\n'));
  let count = 0;
  let last = -Infinity;
  let lastInfo = '';
  let finished = false;

  const text = () => {
    const elapsed = (Date.now() - start) / 1000;
    const eta = count > 0 && count < total ? ` eta ${clock((elapsed / count) * (total - count))}` : '';
    return `${label ? label + ' ' : ''}[${bar(count / Math.max(1, total), 30)}] ${count}/${total} ${clock(elapsed)}${eta}${lastInfo ? ' ' + lastInfo : ''}`;
  };
  const render = (update: boolean) => {
    const t = text();
    if (!writer) return log(t);
    const pct = (100 * count) / Math.max(1, total);
    const html =
      `<div style="font-family:monospace">${escapeHtml(label)} <progress value="${count}" max="${total}" style="width:40%"></progress> ` +
      `${pct.toFixed(0)}% ${escapeHtml(t.slice(t.indexOf(']') + 2))}</div>`;
    sendBundle({ 'text/plain': t, 'text/html': html }, { displayId: id, update, writer });
  };

  if (writer) render(false);
  last = Date.now();
  return {
    tick(n = 1, info?: string) {
      if (finished) return;
      count = Math.min(total, count + n);
      if (info !== undefined) lastInfo = info;
      if (count >= total) return this.done();
      if (Date.now() - last >= every) {
        last = Date.now();
        render(true);
      }
    },
    done(info?: string) {
      if (finished) return;
      finished = true;
      if (info !== undefined) lastInfo = info;
      render(true);
    },
  };
}
