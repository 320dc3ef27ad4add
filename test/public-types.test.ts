// Public types separate from raw ones (issue #15, item 4). The declarations a user compiles
// against (dist/index.d.ts and what it reaches) must not name a `Raw*` type of the raw binding
// surface (src/native.ts); `packageRoot` comes from a module that does not load the addon; and
// audio.ts and audio-wasm.ts do not import each other in a cycle.
//
// The declarations are emitted from src/ here (not read from a possibly stale dist/), then the
// type graph is walked from the exports of index.d.ts: every identifier of a reached declaration
// is resolved to its symbol and that symbol's declarations are walked in turn, so a `Raw*` type
// reached through an alias, an `extends`, an indexed access or a `typeof` is found too.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { moduleGraph, reachesWithPath, sourceFiles, type Graph } from './helpers/module-graph.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const src = path.join(root, 'src');
const RAW = /^Raw[A-Z]/;

/** Emits the package's declarations into `out` with the project's compiler options. */
function emitDeclarations(out: string): void {
  const config = ts.getParsedCommandLineOfConfigFile(path.join(root, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} });
  if (!config) throw new Error('tsconfig.json could not be read');
  const options = { ...config.options, outDir: out, declaration: true, emitDeclarationOnly: true, sourceMap: false, declarationMap: false, noEmit: false };
  const program = ts.createProgram(config.fileNames, options);
  const result = program.emit();
  const errors = [...ts.getPreEmitDiagnostics(program), ...result.diagnostics].filter((d) => d.category === ts.DiagnosticCategory.Error);
  if (errors.length) throw new Error(ts.formatDiagnostics(errors, { getCanonicalFileName: (f) => f, getCurrentDirectory: () => root, getNewLine: () => '\n' }));
  // The package is an ES module: resolve the emitted files as the published ones are.
  writeFileSync(path.join(out, 'package.json'), '{ "type": "module" }\n');
}

function isPrivateMember(n: ts.Node): boolean {
  if ((ts.isPropertyDeclaration(n) || ts.isMethodDeclaration(n) || ts.isGetAccessor(n) || ts.isSetAccessor(n)) && n.name && ts.isPrivateIdentifier(n.name)) return true;
  return ts.canHaveModifiers(n) && (ts.getModifiers(n) ?? []).some((m) => m.kind === ts.SyntaxKind.PrivateKeyword);
}

interface Walk {
  /** `Raw*` names reached, each with the path of names that led to it. */
  raw: string[];
  /** Every named symbol reached in the package's declarations. */
  reached: Set<string>;
}

/** Walks the type graph reachable from the exports of `index`. */
function walkPublicTypes(dir: string): Walk {
  const index = path.join(dir, 'index.d.ts');
  const program = ts.createProgram([index], { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, strict: true, skipLibCheck: true, types: [] });
  const checker = program.getTypeChecker();
  const file = program.getSourceFile(index);
  const moduleSymbol = file && checker.getSymbolAtLocation(file);
  if (!moduleSymbol) throw new Error(`${index} did not load as a module`);
  const inPackage = (d: ts.Node) => d.getSourceFile().fileName.startsWith(dir + path.sep) || d.getSourceFile().fileName.startsWith(dir + '/');
  const walk: Walk = { raw: [], reached: new Set() };
  const seen = new Set<ts.Node>();
  const pending: [ts.Node, string][] = [];

  const visitSymbol = (symbol: ts.Symbol, via: string) => {
    const s = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
    const decls = (s.declarations ?? []).filter(inPackage);
    if (!decls.length) return; // the language's or another package's
    walk.reached.add(s.name);
    if (RAW.test(s.name) && !walk.raw.some((r) => r.endsWith(`> ${s.name}`))) walk.raw.push(`${via} > ${s.name}`);
    for (const d of decls) if (!seen.has(d)) { seen.add(d); pending.push([d, `${via} > ${s.name}`]); }
  };
  const visitNode = (n: ts.Node, via: string): void => {
    if (isPrivateMember(n)) return;
    if (ts.isIdentifier(n)) {
      const s = checker.getSymbolAtLocation(n);
      if (s) visitSymbol(s, via);
      else if (RAW.test(n.text)) walk.raw.push(`${via} > ${n.text} (unresolved, ${path.relative(dir, n.getSourceFile().fileName)})`);
    }
    ts.forEachChild(n, (c) => visitNode(c, via));
  };

  for (const e of checker.getExportsOfModule(moduleSymbol)) visitSymbol(e, 'index');
  while (pending.length) {
    const [d, via] = pending.pop()!;
    visitNode(d, via);
  }
  walk.raw.sort();
  return walk;
}

/** The modules `from` reaches through its imports (test/helpers/module-graph.ts). */
const reaches = (from: string, graph: Graph): Set<string> => new Set(reachesWithPath(from, graph).keys());

describe('public types', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'et-dts-'));
    emitDeclarations(dir);
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('no Raw* type is reachable from index.d.ts', () => {
    const walk = walkPublicTypes(dir);
    // The walk itself must work: it reaches types several levels below the exports.
    for (const name of ['ProsodyOptions', 'ProsodyResult', 'VoiceStats', 'SpectralOptions', 'LossMetrics', 'DeviceBuffer', 'OptionSpec', 'DecodedAudio']) {
      expect(walk.reached, name).toContain(name);
    }
    expect(walk.reached.size).toBeGreaterThan(150);
    expect(walk.raw).toEqual([]);
  });

  it('the walk finds a Raw* type leaked through an alias, an extends and a typeof', () => {
    // Control: the same walk over a small package that leaks in three indirect ways.
    const leak = mkdtempSync(path.join(os.tmpdir(), 'et-dts-leak-'));
    try {
      writeFileSync(path.join(leak, 'package.json'), '{ "type": "module" }\n');
      writeFileSync(path.join(leak, 'native.d.ts'), 'export interface RawA { a: number }\nexport interface RawB { b: number }\nexport interface RawC { c: number }\nexport declare function rawC(): RawC;\n');
      writeFileSync(path.join(leak, 'pub.d.ts'), "import type { RawA, RawB, rawC } from './native.js';\nexport type A = RawA;\nexport interface B extends Partial<RawB> { own: string }\nexport type C = ReturnType<typeof rawC>;\nexport interface Fine { x: number }\n");
      writeFileSync(path.join(leak, 'index.d.ts'), "export type { A, B, C, Fine } from './pub.js';\n");
      const walk = walkPublicTypes(leak);
      expect(walk.reached).toContain('Fine');
      for (const name of ['RawA', 'RawB', 'RawC']) expect(walk.raw.some((r) => r.endsWith(`> ${name}`)), name).toBe(true);
    } finally {
      rmSync(leak, { recursive: true, force: true });
    }
  });
});

describe('module graph', () => {
  const files = sourceFiles(src);
  const graph = moduleGraph(src);

  it('packageRoot is imported from src/package-root.ts, which does not load the addon', () => {
    const home = path.join(src, 'package-root.ts');
    expect(files).toContain(home);
    expect([...reaches(home, graph)].map((f) => path.relative(src, f))).not.toContain('native.ts');
    const users = files.filter((f) => /\bpackageRoot\b/.test(readFileSync(f, 'utf8')) && f !== home);
    expect(users.length).toBeGreaterThan(3);
    for (const f of users) {
      const text = readFileSync(f, 'utf8');
      const imported = /import\s*\{[^}]*\bpackageRoot\b[^}]*\}\s*from\s*'([^']+)'/.exec(text);
      if (!imported) continue; // a parameter named packageRoot, not the module's value
      expect(path.resolve(path.dirname(f), imported[1].replace(/\.js$/, '.ts')), path.relative(root, f)).toBe(home);
    }
    expect(readFileSync(path.join(src, 'native.ts'), 'utf8')).not.toMatch(/export\s+(const|\{[^}]*)\s*\bpackageRoot\b/);
  });

  it('audio.ts and audio-wasm.ts are not in an import cycle', () => {
    const audio = path.join(src, 'audio.ts');
    const wasm = path.join(src, 'audio-wasm.ts');
    expect(graph.get(audio)).toContain(wasm); // the edge that stays: audio.ts uses the WASM decoders
    expect([...reaches(wasm, graph)].map((f) => path.relative(src, f))).not.toContain('audio.ts');
    expect([...reaches(audio, graph)].map((f) => path.relative(src, f))).not.toContain('audio.ts');
  });
});
