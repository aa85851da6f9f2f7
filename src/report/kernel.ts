/**
 * The one place that talks to the tslab kernel. tslab's public `display` API sends one MIME
 * type per message; a chart needs one bundle (plotly JSON + HTML + PNG + text), so we call
 * the writer tslab installs for the running cell: `tslab/dist/jupyter`'s
 * `lastWriteDisplayData(content, update)`. We find that module in the require cache (the
 * kernel loaded it) instead of requiring it, so scripts and tests never load tslab.
 */

/** A MIME bundle: `{"text/plain": "...", "application/vnd.plotly.v1+json": {...}}`. */
export type MimeBundle = Record<string, unknown>;

type WriteDisplayData = (content: { data: MimeBundle; metadata: object; transient: { display_id?: string } }, update: boolean) => void;

function tslabJupyter(): { lastWriteDisplayData: WriteDisplayData | null } | null {
  const cache = require.cache as Record<string, { exports?: any } | undefined>;
  for (const file of Object.keys(cache)) {
    if (!/[\\/]tslab[\\/]dist[\\/]jupyter\.js$/.test(file)) continue;
    const mod = cache[file]?.exports;
    if (mod && 'lastWriteDisplayData' in mod) return mod;
  }
  return null;
}

/** The display writer of the cell running now, or null outside a tslab kernel. */
export function currentWriter(): WriteDisplayData | null {
  const jupyter = tslabJupyter();
  return jupyter && typeof jupyter.lastWriteDisplayData === 'function' ? jupyter.lastWriteDisplayData : null;
}

export function inKernel(): boolean {
  return currentWriter() !== null;
}

let nextId = 0;
export function newDisplayId(): string {
  nextId += 1;
  return `wb-${process.pid}-${Date.now().toString(36)}-${nextId}`;
}

/**
 * Send `bundle` as one display_data message (or update_display_data for an existing
 * `displayId`). Outside tslab, prints the bundle's text/plain and returns false.
 * Pass `writer` to keep writing to the cell that started (async updates).
 */
export function sendBundle(bundle: MimeBundle, opts: { displayId?: string; update?: boolean; writer?: WriteDisplayData | null } = {}): boolean {
  const writer = opts.writer === undefined ? currentWriter() : opts.writer;
  if (!writer) {
    const text = bundle['text/plain'];
    if (typeof text === 'string' && !opts.update) process.stdout.write(text.endsWith('\n') ? text : text + '\n');
    return false;
  }
  writer({ data: bundle, metadata: {}, transient: opts.displayId ? { display_id: opts.displayId } : {} }, Boolean(opts.update));
  return true;
}
