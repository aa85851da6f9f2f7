/**
 * Static PNG of a plotly figure, rendered by a headless Chromium (Debian's
 * chromium-headless-shell, else chromium) through puppeteer-core and `Plotly.toImage`.
 * One browser is kept while charts keep coming and closed after a few idle seconds.
 * Set WORKBOOK_PNG=0 to skip images.
 */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { plotlyJs } from './plotlyjs';
import { makeOwnedTempDir, removeDirQuietly, removeOrphanedDirs } from '../util/process';

export const BROWSER_CANDIDATES = ['/usr/bin/chromium-headless-shell', '/usr/lib/chromium/chromium-headless-shell', '/usr/bin/chromium'];

export function findBrowser(): string | null {
  if (process.env.WORKBOOK_PNG === '0') return null;
  const fromEnv = process.env.WORKBOOK_BROWSER;
  if (fromEnv) return fs.existsSync(fromEnv) ? fromEnv : null;
  return BROWSER_CANDIDATES.find((p) => fs.existsSync(p)) ?? null;
}

let page: Promise<any> | null = null;
let browser: any = null;
/** the current browser's profile folder */
let browserProfile: string | null = null;
let idle: NodeJS.Timeout | null = null;

// Chromium's profile lives in a folder of ours that is removed when the process exits,
// so kernels that are shut down while the browser idles leave nothing behind in /tmp. The
// browser is killed first: alive, it rewrote its profile (DevToolsActivePort, Default/) into
// the folder just removed, and left it behind without our owner file.
const profiles = new Set<string>();
process.on('exit', () => {
  const pid: number | undefined = browser?.process?.()?.pid;
  if (pid) {
    killGroup(pid); // the browser runs in a process group of its own (Debian's wrapper script, then Chromium)
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100); // an exit handler cannot await: let the kill land
  }
  reaper?.kill();
  for (const dir of profiles) removeDirQuietly(dir); // what is still left stays listed for the reaper or the next sweep
});

/** Resolves once no process of group `pgid` is left (or after `ms`). */
async function groupGone(pgid: number, ms = 3000): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    try {
      process.kill(-pgid, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/**
 * A kernel killed outright (SIGKILL: no exit handler runs) would leave its browser running
 * for good: puppeteer starts it in a session of its own, out of reach of the signal that
 * ends the kernel's. So each browser gets a reaper, a detached shell that waits for this
 * process to end, then kills the browser's group and removes its profile.
 */
let reaper: ChildProcess | null = null;
function startReaper(browserPid: number, profile: string): void {
  // a browser still closing keeps its own reaper until its group is gone (closeBrowser)
  const script = 'while kill -0 "$1" 2>/dev/null; do sleep 0.5; done; kill -9 "-$2" 2>/dev/null; rm -rf "$3"';
  reaper = spawn('/bin/sh', ['-c', script, 'rlhf-workbook-reaper', String(process.pid), String(browserPid), profile], { detached: true, stdio: 'ignore' });
  reaper.unref();
}

// The flags keep Chromium off the network: this machine has none, and it would retry.
const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const PROFILE_PREFIX = 'rlhf-workbook-chromium-';

/**
 * Remove profiles of ours whose process is gone (a kernel killed outright cannot clean up):
 * each profile names the pid that made it in OWNER_FILE; one without it is left alone for an
 * hour.
 */
export function removeStaleProfiles(tmp = os.tmpdir(), now = Date.now()): string[] {
  return removeOrphanedDirs(PROFILE_PREFIX, { tmp, now, ownerlessAfterMs: 3600_000, keep: profiles });
}

async function openPage(executablePath: string): Promise<any> {
  const puppeteer = require('puppeteer-core');
  removeStaleProfiles();
  const userDataDir = makeOwnedTempDir(PROFILE_PREFIX);
  profiles.add(userDataDir);
  // puppeteer's own SIGINT handler would exit the process, and SIGINT is how Jupyter
  // interrupts a cell; its SIGTERM / SIGHUP handlers (close the browser) stay.
  browser = await puppeteer.launch({ executablePath, headless: true, userDataDir, args: ARGS, handleSIGINT: false });
  browserProfile = userDataDir;
  const pid: number | undefined = browser.process()?.pid;
  if (pid) startReaper(pid, userDataDir);
  const p = await browser.newPage();
  await p.setContent('<html><body><div id="plot"></div></body></html>');
  await p.addScriptTag({ content: plotlyJs() });
  return p;
}

function closeSoon(): void {
  if (idle) clearTimeout(idle);
  idle = setTimeout(() => void closeBrowser(), 3000);
  idle.unref();
}

/**
 * Close the current browser and remove its profile, never throwing (this runs in timers).
 * close() returns once the launched wrapper has exited, while Chromium's GPU and other helpers
 * may still be flushing caches into the profile, so the whole process group is ended and waited
 * for before the profile goes. Only this browser's profile and reaper are touched: a chart that
 * came meanwhile has a browser of its own.
 */
async function closeBrowser(): Promise<void> {
  const b = browser;
  const dir = browserProfile;
  const ownReaper = reaper;
  browser = null;
  browserProfile = null;
  page = null;
  if (!b) return;
  const pid: number | undefined = b.process?.()?.pid;
  try {
    await b.close();
  } catch {
    // killed below either way
  }
  if (pid) {
    killGroup(pid);
    await groupGone(pid);
  }
  ownReaper?.kill();
  if (reaper === ownReaper) reaper = null;
  if (dir && removeDirQuietly(dir)) profiles.delete(dir); // Chromium's helpers may still write into it: if not gone, a later sweep takes it
}

/** PNG bytes (base64) of `figure`, or null when no browser is present or rendering fails. */
export async function renderPng(figure: { data: unknown; layout?: unknown }, size = { width: 700, height: 450 }): Promise<string | null> {
  const executable = findBrowser();
  if (!executable) return null;
  if (idle) clearTimeout(idle); // a slow chart is not closed under itself by the last one's idle timer
  try {
    if (!page) page = openPage(executable);
    const p = await page;
    const url: string = await p.evaluate(
      (fig: any, s: any) => (globalThis as any).Plotly.toImage(fig, { format: 'png', width: s.width, height: s.height }),
      JSON.parse(JSON.stringify({ data: figure.data, layout: figure.layout ?? {} })),
      size,
    );
    return url.replace(/^data:image\/png;base64,/, '');
  } catch {
    // a page that failed is not reused, and its browser is closed rather than leaked
    await closeBrowser();
    return null;
  } finally {
    closeSoon();
  }
}
