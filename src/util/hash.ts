/** The sha256 of text or bytes, as lowercase hex: how the workbook names a file's content. */
import { createHash } from 'crypto';

export function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
