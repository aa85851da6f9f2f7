/**
 * Finds promises that `src/` (or a notebook's code) starts and never awaits: an expression
 * statement whose value is a Promise, e.g. `saveCheckpoint(dir, c);` after saveCheckpoint
 * became async. The type checker does not flag these, and each one is a bug waiting for a GPU
 * (the work runs later, out of order, or its error is lost). `void f()` marks an intended one.
 */
import * as path from 'path';
import * as ts from 'typescript';

export interface Floating {
  file: string;
  line: number;
  text: string;
}

export function floatingPromises(rootFiles: string[], tsconfigPath: string): Floating[] {
  const cfg = ts.readConfigFile(tsconfigPath, ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(cfg.config, ts.sys, path.dirname(tsconfigPath));
  const program = ts.createProgram(rootFiles, { ...parsed.options, noEmit: true });
  const checker = program.getTypeChecker();
  const out: Floating[] = [];
  const isPromise = (t: ts.Type): boolean => {
    if (t.isUnion()) return t.types.some(isPromise);
    const sym = t.getSymbol() ?? t.aliasSymbol;
    return sym?.getName() === 'Promise';
  };
  for (const sf of program.getSourceFiles()) {
    if (sf.isDeclarationFile || !rootFiles.some((f) => path.resolve(f) === path.resolve(sf.fileName))) continue;
    const visit = (node: ts.Node): void => {
      if (ts.isExpressionStatement(node)) {
        let e = node.expression;
        while (ts.isParenthesizedExpression(e)) e = e.expression;
        const callee = ts.isCallExpression(e) ? e.expression : null;
        const intended =
          ts.isVoidExpression(e) ||
          ts.isAwaitExpression(e) ||
          // stored for later: `pending = start()`
          (ts.isBinaryExpression(e) && e.operatorToken.kind === ts.SyntaxKind.EqualsToken) ||
          // handled: `main().catch(report)`
          (callee != null && ts.isPropertyAccessExpression(callee) && callee.name.text === 'catch') ||
          // node:test registers tests by calling test() / describe(); the runner awaits them
          (callee != null && ts.isIdentifier(callee) && ['test', 'describe', 'it', 'before', 'after', 'beforeEach', 'afterEach'].includes(callee.text));
        if (!intended && isPromise(checker.getTypeAtLocation(e))) {
          const { line } = sf.getLineAndCharacterOfPosition(node.getStart());
          out.push({ file: path.relative(process.cwd(), sf.fileName), line: line + 1, text: node.getText().split('\n')[0].slice(0, 120) });
        }
      }
      // an arrow or function passed where a callback's result is ignored, e.g. forEach(async ...)
      if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && ['forEach', 'map'].includes(node.expression.name.text)) {
        for (const arg of node.arguments) {
          if (
            (ts.isArrowFunction(arg) || ts.isFunctionExpression(arg)) &&
            arg.modifiers?.some((m) => m.kind === ts.SyntaxKind.AsyncKeyword) &&
            node.expression.name.text === 'forEach'
          ) {
            const { line } = sf.getLineAndCharacterOfPosition(arg.getStart());
            out.push({ file: path.relative(process.cwd(), sf.fileName), line: line + 1, text: 'forEach(async ...): its promises are dropped' });
          }
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  return out;
}
