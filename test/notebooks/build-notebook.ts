/**
 * A notebook of code cells, built in a test (the tests that run real kernels on small
 * notebooks of their own). A cell is its source, or its source and tags (e.g. `parameters`).
 */
export type CellSpec = string | { source: string; tags: string[] };

export function codeNotebook(cells: CellSpec[], kernel = 'tslab') {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: kernel, display_name: 'TypeScript', language: 'typescript' } },
    cells: cells.map((c) => {
      const { source, tags } = typeof c === 'string' ? { source: c, tags: [] } : c;
      return { cell_type: 'code', execution_count: null, metadata: tags.length ? { tags } : {}, outputs: [], source };
    }),
  };
}

/** The parameters cell the workbook's runner finds and injects after. */
export const PARAMETERS_CELL: CellSpec = {
  source: 'const profile = "smoke";\nconst params = {};\nconst runDir = "../runs/interactive";',
  tags: ['parameters'],
};
