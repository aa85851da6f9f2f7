/** plotly.js from the npm package (plotly.js-dist-min), read once. */
import * as fs from 'fs';

let source: string | null = null;

export function plotlyJs(): string {
  if (source === null) source = fs.readFileSync(require.resolve('plotly.js-dist-min/plotly.min.js'), 'utf8');
  return source;
}
