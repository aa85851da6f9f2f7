/** A stand-in for tslab's `dist/jupyter` module, registered in the require cache. */
import * as path from 'path';

export interface Sent {
  content: { data: Record<string, unknown>; transient: { display_id?: string } };
  update: boolean;
}

const FAKE = path.join(__dirname, 'fake-node-modules', 'tslab', 'dist', 'jupyter.js');

export function installFakeKernel(): Sent[] {
  const sent: Sent[] = [];
  const exports = { lastWriteDisplayData: (content: any, update: boolean) => sent.push({ content, update }) };
  (require.cache as any)[FAKE] = { id: FAKE, filename: FAKE, loaded: true, exports };
  return sent;
}

export function removeFakeKernel(): void {
  delete (require.cache as any)[FAKE];
}
