import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/** Whether a process is alive (signal 0: nothing is sent). A process of another user counts
 *  as alive (EPERM); this process always is. */
export function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Remove a folder without ever throwing, and say whether it is gone. A process that has just
 * closed can still write into it for a moment, so a removal can meet ENOTEMPTY; it is retried
 * briefly, and what is still left stays for a later attempt. Safe in timers and exit handlers,
 * where a throw would kill a kernel in the middle of a notebook.
 */
export function removeDirQuietly(dir: string): boolean {
  try {
    fs.rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
  } catch {
    // left for a later attempt
  }
  return !fs.existsSync(dir);
}

/** The file in each temporary folder of ours that names the pid of the process that made it. */
export const OWNER_FILE = 'rlhf-workbook-owner';

/** A fresh folder `<tmp>/<prefix>XXXXXX` that names its owner, this process, in OWNER_FILE. */
export function makeOwnedTempDir(prefix: string, tmp = os.tmpdir()): string {
  const dir = fs.mkdtempSync(path.join(tmp, prefix));
  fs.writeFileSync(path.join(dir, OWNER_FILE), String(process.pid));
  return dir;
}

export interface OrphanSweep {
  tmp?: string;
  now?: number;
  /** a folder without an owner file is removed once this old (ms); left alone when not given */
  ownerlessAfterMs?: number;
  /** folders this process still uses */
  keep?: ReadonlySet<string>;
}

/**
 * Remove the folders `<tmp>/<prefix>*` whose owner process is gone: a process killed outright
 * runs no exit handler, so its folder stays behind. A folder whose owner is alive is never
 * touched, nor one without an owner file unless `ownerlessAfterMs` says after how long. Returns
 * the folders removed.
 */
export function removeOrphanedDirs(prefix: string, o: OrphanSweep = {}): string[] {
  const tmp = o.tmp ?? os.tmpdir();
  const now = o.now ?? Date.now();
  const removed: string[] = [];
  for (const name of fs.readdirSync(tmp).filter((d) => d.startsWith(prefix))) {
    const dir = path.join(tmp, name);
    let orphaned: boolean;
    try {
      const pid = Number(fs.readFileSync(path.join(dir, OWNER_FILE), 'utf8'));
      orphaned = !(pid > 0 && processAlive(pid));
    } catch {
      try {
        orphaned = o.ownerlessAfterMs !== undefined && now - fs.statSync(dir).mtimeMs > o.ownerlessAfterMs;
      } catch {
        orphaned = false;
      }
    }
    if (orphaned && !o.keep?.has(dir) && removeDirQuietly(dir)) removed.push(dir);
  }
  return removed;
}
