/** Display helpers for notebooks (and plain text when run as a script). */
export { showPlot, plotHtml, plotText } from './plot';
export type { Figure } from './plot';
export { showTable, tableHtml, tableText } from './table';
export type { TableOptions } from './table';
export { progress } from './progress';
export type { Progress } from './progress';
export { showMarkdown } from './markdown';
export { escapeHtml } from '../util/escape';
export { renderPng, findBrowser } from './png';
export { inKernel, sendBundle } from './kernel';
export { writeRunReport, portable } from './run-report';
export type { MimeBundle } from './kernel';
