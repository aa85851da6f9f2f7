/**
 * One runner per run folder: `run.lock` holds the runner's PID, host and start time. A second
 * runner on a live run (say `--continue RUN --only 02` while RUN is still in 01) is refused in
 * one line; a lock left by a runner that is gone (killed, machine rebooted) is taken over with
 * a message. The lock is created with O_EXCL, so two runners starting together cannot both win.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { InputError } from '../util/jsonl';
import { processAlive } from '../util/process';

export const LOCK_FILE = 'run.lock';

export interface RunLock {
  file: string;
  release(): void;
}

interface Holder {
  pid: number;
  host: string;
  startedAt: string;
}

function readHolder(file: string): Holder | null {
  try {
    const h = JSON.parse(fs.readFileSync(file, 'utf8'));
    return typeof h?.pid === 'number' ? h : null;
  } catch {
    return null;
  }
}

export function acquireRunLock(runDir: string, log: (line: string) => void = () => {}): RunLock {
  const file = path.join(runDir, LOCK_FILE);
  const me: Holder = { pid: process.pid, host: os.hostname(), startedAt: new Date().toISOString() };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = fs.openSync(file, 'wx');
      fs.writeSync(fd, JSON.stringify(me) + '\n');
      fs.fsyncSync(fd);
      fs.closeSync(fd);
      return {
        file,
        release() {
          if (readHolder(file)?.pid === me.pid) fs.rmSync(file, { force: true });
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const h = readHolder(file);
    const sameHost = !h || h.host === me.host;
    if (h && (!sameHost || processAlive(h.pid))) {
      throw new InputError(
        `${path.basename(runDir)} is in use by the runner with pid ${h.pid} on ${h.host} since ${h.startedAt} (${file}); wait for it to end or stop it first`,
      );
    }
    log(`workbook: ${file}: taking over the lock of runner ${h ? `pid ${h.pid} (started ${h.startedAt})` : '(unreadable lock)'}, which is no longer running`);
    fs.rmSync(file, { force: true });
  }
  throw new InputError(`${file}: another runner took the lock while this one was taking over a stale lock; try again`);
}
