// The import graph of src/: which modules each module imports (static, type-only, re-exports
// and dynamic `import()` alike, read from TypeScript's syntax tree), what a module reaches
// through it, and the import cycles.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

export type Graph = Map<string, string[]>;

/** Every .ts file under `dir`. */
export function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sourceFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/**
 * The module specifiers of one file's imports, from its syntax tree: import and export
 * declarations (type-only ones too), `import x = require()`, dynamic `import()` and `import('…').T`
 * types. (ts.preProcessFile, a token scanner, loses its place after some regular expression
 * literals and missed imports further down.)
 */
export function specifiers(file: string, text = readFileSync(file, 'utf8')): string[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const out: string[] = [];
  const literal = (n: ts.Node | undefined) => {
    if (n && ts.isStringLiteralLike(n)) out.push(n.text);
  };
  const visit = (n: ts.Node): void => {
    if (ts.isImportDeclaration(n) || ts.isExportDeclaration(n)) literal(n.moduleSpecifier);
    else if (ts.isImportEqualsDeclaration(n) && ts.isExternalModuleReference(n.moduleReference)) literal(n.moduleReference.expression);
    else if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.ImportKeyword) literal(n.arguments[0]);
    else if (ts.isImportTypeNode(n) && ts.isLiteralTypeNode(n.argument)) literal(n.argument.literal);
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

/** The relative imports of one file, as absolute .ts paths. */
export function imports(file: string): string[] {
  return [...new Set(specifiers(file)
    .filter((f) => f.startsWith('.'))
    .map((f) => path.resolve(path.dirname(file), f.replace(/\.js$/, '.ts'))))];
}

export function moduleGraph(dir: string): Graph {
  return new Map(sourceFiles(dir).map((f) => [f, imports(f)]));
}

/**
 * Every module `from` reaches, each with the chain of imports that first reached it (breadth
 * first, so the chain is a shortest one).
 */
export function reachesWithPath(from: string, graph: Graph): Map<string, string[]> {
  const via = new Map<string, string[]>([[from, [from]]]);
  const queue = [from];
  while (queue.length) {
    const f = queue.shift()!;
    for (const d of graph.get(f) ?? []) {
      if (via.has(d)) continue;
      via.set(d, [...via.get(f)!, d]);
      queue.push(d);
    }
  }
  via.delete(from);
  return via;
}

/** The import cycles: strongly connected components of more than one module (or a self-import). */
export function cycles(graph: Graph): string[][] {
  let next = 0;
  const index = new Map<string, number>(), low = new Map<string, number>();
  const stack: string[] = [], onStack = new Set<string>(), out: string[][] = [];
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return out;
}
