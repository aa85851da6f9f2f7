/** Show markdown (tables of results, explanations computed at run time). */
import { sendBundle } from './kernel';

export function showMarkdown(text: string): void {
  sendBundle({ 'text/markdown': text, 'text/plain': text });
}
