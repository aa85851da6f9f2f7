/**
 * Every CLI, as a user calls it: a bad or unknown option gives ONE line on stderr naming it,
 * exit status 2, and writes nothing; --help prints a usage with the CLI's own name.
 */
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '../..');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'wb-cli-test-'));
after(() => fs.rmSync(work, { recursive: true, force: true }));

const SCRIPTS: Record<string, string> = {
  workbook: 'src/workbook/cli.ts',
  data: 'src/tools/data-cli.ts',
  rankings: 'src/tools/rankings-cli.ts',
  generate: 'src/tools/generate-cli.ts',
  bench: 'src/tools/bench-cli.ts',
  export: 'src/tools/export-cli.ts',
  import: 'src/tools/import-cli.ts',
};

function cli(name: string, ...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, SCRIPTS[name]), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, CI: 'true' },
  });
  return { status: r.status, stdout: r.stdout, lines: r.stderr.split('\n').filter((l) => l.trim()) };
}

const out = path.join(work, 'out');
const CASES: [string, string[], string][] = [
  ['workbook', ['--colour'], "workbook: unknown option '--colour'"],
  ['data', ['--colour'], "data: unknown option '--colour'"],
  ['data', ['--param', 'foo', '--out', out], 'data: --param: expected key=value, got "foo"'],
  ['data', ['--profile', 'nope', '--out', out], 'data: --profile: unknown profile "nope" (expected one of: smoke, default, gpu, paper)'],
  ['data', ['--param', 'data.noSuchKey=1', '--out', out], 'data: --param: unknown key "data.noSuchKey"'],
  ['rankings', ['--colour'], "rankings: unknown option '--colour'"],
  ['rankings', ['--out', out + '.jsonl'], "rankings: required option '--in <file>' not specified"],
  ['rankings', ['--in', path.join(work, 'none.jsonl'), '--out', out + '.jsonl'], `rankings: ${path.join(work, 'none.jsonl')}: file not found`],
  ['generate', ['--colour'], "generate: unknown option '--colour'"],
  [
    'generate',
    ['--model', out, '--prompt', 'x', '--backend', 'abacus'],
    'generate: --backend: unknown backend "abacus"; valid: tensorflow, webgpu, wasm, cpu, auto',
  ],
  ['generate', ['--model', path.join(work, 'none'), '--prompt', 'x', '--out', out], `generate: ${path.join(work, 'none')}: checkpoint folder not found`],
  ['bench', ['--colour'], "bench: unknown option '--colour'"],
  ['bench', ['--threads', 'many', '--out', out], 'bench: --threads: expected an integer 1..8, got "many"'],
  ['bench', ['--backend', 'abacus', '--out', out], 'bench: --backend: unknown backend "abacus"; valid: tensorflow, webgpu, wasm, cpu, auto'],
  ['export', ['--colour'], "export: unknown option '--colour'"],
  ['export', ['--data', work, '--out', out, '--format', 'parquet'], 'export: --format must be episode or raw, got "parquet"'],
  ['import', ['--colour'], "import: unknown option '--colour'"],
  ['import', ['--from', work, '--out', out, '--head', 'policy'], 'import: --head must be reward_head or value_head, got "policy"'],
  ['import', ['--from', path.join(work, 'none'), '--out', out], `import: ${path.join(work, 'none')}: Hugging Face model folder not found`],
  ['export', ['--model', path.join(work, 'none'), '--out', out], `export: ${path.join(work, 'none')}: checkpoint folder not found`],
];

for (const [name, args, line] of CASES) {
  test(`${name} ${args.join(' ')}: one line, exit 2, nothing written`, () => {
    const r = cli(name, ...args);
    assert.equal(r.status, 2, r.lines.join('\n'));
    assert.equal(r.lines.length, 1, r.lines.join('\n'));
    assert.ok(r.lines[0].startsWith(line), `${r.lines[0]}\n  expected to start with\n${line}`);
    assert.ok(!fs.existsSync(out) && !fs.existsSync(out + '.jsonl'), 'nothing written');
  });
}

test('--help names each CLI and says what it does, exit 0', () => {
  for (const name of Object.keys(SCRIPTS)) {
    const r = cli(name, '--help');
    assert.equal(r.status, 0, `${name}: ${r.lines.join('\n')}`);
    assert.match(r.stdout, new RegExp(`^Usage: ${name} \\[options\\]\\n\\n\\S`), `${name} --help:\n${r.stdout}`);
  }
});
