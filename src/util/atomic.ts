/**
 * Atomic writes, and folders the product may replace.
 *
 * A file is written to a temp file beside the target, fsynced, then renamed: a crash
 * mid-write never leaves a half-written file where a good one stood.
 *
 * A folder the product writes as a whole (a checkpoint, a data build, an export, a report)
 * is built beside its target as `<dir>.tmp-<pid>-<time>`, fsynced, marked complete by a
 * marker file naming its kind, then swapped in by two renames. Only a folder that carries
 * the marker of the same kind (or that the caller recognises as its own, written before
 * markers existed) is ever replaced: anything else is refused by name, and nothing in it is
 * touched. A crash between the two renames leaves the complete new folder (or the old one)
 * beside the target; `recoverDir` puts it back, and the next replace sweeps what dead
 * processes left.
 */
import * as fs from 'fs';
import * as path from 'path';
import { processAlive } from './process';

/** The marker file in every folder the product makes. */
export const MARKER = '.rlhf-workbook';

/** What a product-made folder is. A folder of one kind is never replaced by a writer of another. */
export type FolderKind = 'run' | 'data' | 'dataset-export' | 'hf-export' | 'checkpoint' | 'report' | 'replication' | 'results';

const KIND_WORDS: Record<FolderKind, string> = {
  run: 'a workbook run folder',
  data: 'a data build',
  'dataset-export': 'a dataset export',
  'hf-export': 'a Hugging Face export',
  checkpoint: 'a checkpoint',
  report: 'a run report',
  replication: 'a cross-seed replication table',
  results: 'a checked-in results folder',
};

/** Remove a temp file, ignoring one that is already gone. */
function removeQuietly(file: string): void {
  try {
    fs.rmSync(file, { force: true });
  } catch {
    /* nothing to clean */
  }
}

function fsyncPath(p: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(p, 'r');
    fs.fsyncSync(fd);
  } catch {
    /* some file systems refuse fsync on folders; the rename order still holds */
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** fsync every file and folder under `dir` (the folder's own entry last). */
function fsyncTree(dir: string): void {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) fsyncTree(p);
    else if (e.isFile()) fsyncPath(p);
  }
  fsyncPath(dir);
}

export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  if (fs.existsSync(file) && fs.statSync(file).isDirectory()) throw new Error(`${file}: is a folder; give a file path`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  try {
    const fd = fs.openSync(tmp, 'w');
    try {
      fs.writeSync(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (e) {
    removeQuietly(tmp);
    throw e;
  }
  fsyncPath(path.dirname(file));
}

export function writeJsonAtomic(file: string, value: unknown): void {
  writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n');
}

/** JSONL: one JSON value per line, newline-terminated. */
export function writeJsonlAtomic(file: string, rows: readonly unknown[]): void {
  writeFileAtomic(file, rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length ? '\n' : ''));
}

/** The kind named by `dir`'s marker, or null when it has none (or an unreadable one). */
export function folderKind(dir: string): FolderKind | null {
  try {
    const kind = JSON.parse(fs.readFileSync(path.join(dir, MARKER), 'utf8'))?.kind;
    return kind in KIND_WORDS ? (kind as FolderKind) : null;
  } catch {
    return null;
  }
}

/** Write the marker that says the product made `dir` as a folder of `kind`. */
export function markFolder(dir: string, kind: FolderKind): void {
  writeJsonAtomic(path.join(dir, MARKER), { kind, note: `made by rlhf-workbook as ${KIND_WORDS[kind]}; the workbook may replace this folder as a whole` });
}

export interface ReplaceOptions {
  /**
   * Recognises a folder of this kind written before markers existed (e.g. a checkpoint by its
   * config.json's format). Anything it does not recognise is refused.
   */
  legacy?: (dir: string) => boolean;
  /** Words for the refusal's advice (default: "choose another folder"). */
  advice?: string;
}

/**
 * A folder written before markers existed, recognised by its `manifest.json`: `accepts` checks
 * the manifest, and every file in the folder must be one the manifest lists in `files`.
 */
export function isManifestFolder(dir: string, accepts: (manifest: any) => boolean): boolean {
  try {
    const m = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
    if (!m || !accepts(m) || !Array.isArray(m.files)) return false;
    const listed = new Set<string>(['manifest.json', ...m.files.map((f: { file: string }) => f.file)]);
    return fs.readdirSync(dir).every((f) => listed.has(f));
  } catch {
    return false;
  }
}

/**
 * Throw unless `dir` is absent, empty, or a folder of `kind` the product made. `dir` is named
 * in the message, with what it is and what to do.
 */
export function assertReplaceable(dir: string, kind: FolderKind, opts: ReplaceOptions = {}): void {
  if (!fs.existsSync(dir)) return;
  const advice = opts.advice ?? 'choose another folder';
  if (!fs.statSync(dir).isDirectory()) throw new Error(`${dir}: is a file, not a folder; ${advice}`);
  if (fs.readdirSync(dir).length === 0) return;
  const found = folderKind(dir);
  if (found === kind) return;
  if (found) throw new Error(`${dir}: is ${KIND_WORDS[found]}, not ${KIND_WORDS[kind]}; refusing to replace it, ${advice}`);
  if (opts.legacy?.(dir)) return;
  throw new Error(`${dir}: folder exists and was not made by the workbook as ${KIND_WORDS[kind]} (no ${MARKER} marker); refusing to replace it, ${advice}`);
}

const SIBLING = /^(.*)\.(tmp|old)-(\d+)-(\d+)$/;

/** `<dir>.tmp-*` / `<dir>.old-*` left beside `dir` by processes that are gone, newest first. */
function leftovers(dir: string): { path: string; what: 'tmp' | 'old'; time: number }[] {
  const parent = path.dirname(dir);
  if (!fs.existsSync(parent)) return [];
  const base = path.basename(dir);
  const out: { path: string; what: 'tmp' | 'old'; time: number }[] = [];
  for (const name of fs.readdirSync(parent)) {
    const m = SIBLING.exec(name);
    if (!m || m[1] !== base || processAlive(Number(m[3]))) continue;
    out.push({ path: path.join(parent, name), what: m[2] as 'tmp' | 'old', time: Number(m[4]) });
  }
  return out.sort((a, b) => b.time - a.time);
}

/**
 * Put back a folder whose swap a crash interrupted: when `dir` is missing, the newest complete
 * new copy (marked) or else the newest old copy left by a dead process is renamed into place.
 * Then leftovers of dead processes are removed. Returns what was restored, or null.
 */
export function recoverDir(dir: string): string | null {
  const found = leftovers(dir);
  let restored: string | null = null;
  if (!fs.existsSync(dir)) {
    const pick = found.find((f) => f.what === 'tmp' && folderKind(f.path) !== null) ?? found.find((f) => f.what === 'old');
    if (pick) {
      fs.renameSync(pick.path, dir);
      fsyncPath(path.dirname(dir));
      restored = pick.path;
    }
  }
  for (const f of found) if (f.path !== restored) fs.rmSync(f.path, { recursive: true, force: true });
  return restored;
}

/**
 * Replace folder `dir` (a product-made folder of `kind`) with one built by `build` in a
 * temporary folder beside it. Refuses a foreign folder before building anything; the old folder
 * is removed only after the new one is complete and in place.
 */
export function replaceDirAtomic(dir: string, kind: FolderKind, build: (tmpDir: string) => void, opts: ReplaceOptions = {}): void {
  recoverDir(dir);
  assertReplaceable(dir, kind, opts);
  const parent = path.dirname(dir);
  fs.mkdirSync(parent, { recursive: true });
  const stamp = `${process.pid}-${Date.now()}`;
  const tmp = `${dir}.tmp-${stamp}`;
  fs.mkdirSync(tmp, { recursive: true });
  try {
    build(tmp);
    markFolder(tmp, kind); // last: a marked temp folder is a complete one
    fsyncTree(tmp);
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  const old = `${dir}.old-${stamp}`;
  if (fs.existsSync(dir)) fs.renameSync(dir, old);
  fs.renameSync(tmp, dir);
  fsyncPath(parent);
  if (fs.existsSync(old)) fs.rmSync(old, { recursive: true, force: true });
}
