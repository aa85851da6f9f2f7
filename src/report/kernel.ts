/**
 * The one place that talks to the tslab kernel. tslab's public `display` API sends one MIME
 * type per message; a chart needs one bundle (plotly JSON + HTML + PNG + text), so we call
 * the writer tslab installs for the running cell: `tslab/dist/jupyter`'s
 * `lastWriteDisplayData(content, update)`. We find that module in the require cache (the
 * kernel loaded it) instead of requiring it, so scripts and tests never load tslab.
 * Outside a kernel the helpers print text; inside one that they cannot reach they throw.
 */

/** A MIME bundle: `{"text/plain": "...", "application/vnd.plotly.v1+json": {...}}`. */
export type MimeBundle = Record<string, unknown>;

type WriteDisplayData = (content: { data: MimeBundle; metadata: object; transient: { display_id?: string } }, update: boolean) => void;

/** Every copy of tslab's `dist/jupyter` module this process has loaded, with its path. */
function tslabJupyters(): { file: string; mod: any }[] {
  const cache = require.cache as Record<string, { exports?: any } | undefined>;
  return Object.keys(cache)
    .filter((file) => /[\\/]tslab[\\/]dist[\\/]jupyter\.js$/.test(file))
    .map((file) => ({ file, mod: cache[file]?.exports }));
}

/**
 * The display writer of the cell running now, or null outside a tslab kernel (scripts and
 * tests print text). Inside a kernel whose tslab is not reachable (a kernel spec that starts
 * another checkout's tslab loads a second copy, or a tslab without this writer) it throws:
 * printing text there would quietly drop every chart and table from the notebook and report.
 */
export function currentWriter(): WriteDisplayData | null {
  const copies = tslabJupyters();
  if (copies.length === 0) return null;
  const live = copies.find((c) => c.mod && typeof c.mod.lastWriteDisplayData === 'function');
  if (live) return live.mod.lastWriteDisplayData;
  throw new Error(
    `display: this kernel loaded tslab (${copies.map((c) => c.file).join(', ')}) but none has a display writer for the running cell, ` +
      "so charts and tables cannot be shown; the kernel spec probably starts another checkout's tslab: run `npm run setup` in this checkout and restart the kernel",
  );
}

/** True inside a tslab kernel whose display is reachable; throws inside one whose is not. */
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
