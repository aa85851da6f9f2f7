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
