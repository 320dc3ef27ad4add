// The module tree says which code runs when (issue #15, item 5): what `analyze` and the other
// inference entries need lives in src/inference/, and nothing they import, directly or through
// other modules, type-only imports included, lies under src/train/ (the trainer, corpus
// preparation, evaluation, checkpoints, ONNX export). And no module under src/ imports itself
// back through others: each file's place in the layers is the order of its imports.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { cycles, moduleGraph, reachesWithPath, sourceFiles } from './helpers/module-graph.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const src = path.join(root, 'src');
const rel = (f: string) => path.relative(src, f);

/** The entries of inference: the calls a user makes to analyse audio, and what they are built from. */
const INFERENCE_ENTRIES = [
  'analyze.ts',
  'speaker-session.ts',
  'stream.ts',
  'listen.ts',
  'report.ts',
  'reward-model.ts',
  ...sourceFiles(path.join(src, 'verify')).map(rel),
  ...sourceFiles(path.join(src, 'inference')).map(rel),
];

describe('inference apart from training', () => {
  const graph = moduleGraph(src);

  it('analyze, speaker sessions, streams, listen, report, the reward model and verify reach nothing under src/train/', () => {
    const leaks: string[] = [];
    for (const entry of INFERENCE_ENTRIES) {
      const file = path.join(src, entry);
      expect(graph.has(file), entry).toBe(true);
      for (const [f, chain] of reachesWithPath(file, graph)) {
        if (rel(f).startsWith(`train${path.sep}`)) leaks.push(chain.map(rel).join(' → '));
      }
    }
    expect(leaks).toEqual([]);
  });

  it('the walk sees what analyze runs, and finds training code where it is reached', () => {
    // Control: analyze reaches the inference modules, the audio decoders and the native layer.
    const fromAnalyze = [...reachesWithPath(path.join(src, 'analyze.ts'), graph).keys()].map(rel);
    for (const m of ['inference/featurize.ts', 'inference/model.ts', 'inference/model-schema.ts', 'inference/policy.ts', 'inference/render.ts', 'inference/vocab.ts', 'audio.ts', 'audio-wasm.ts', 'prosody.ts', 'native.ts']) {
      expect(fromAnalyze, m).toContain(m.split('/').join(path.sep));
    }
    // The CLI trains: it reaches the trainer statically and evaluate-model through a dynamic import().
    const fromCli = reachesWithPath(path.join(src, 'cli.ts'), graph);
    expect([...fromCli.keys()].map(rel)).toContain(path.join('train', 'trainer.ts'));
    expect(graph.get(path.join(src, 'cli.ts'))).toContain(path.join(src, 'train', 'evaluate-model.ts'));
  });

  it('the walk follows every import form (type-only, multi-line, re-export, dynamic after a regex literal)', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'et-graph-'));
    try {
      const files: Record<string, string> = {
        'entry.ts': "import type { A } from './a.js';\nimport {\n  b,\n} from './b.js';\nexport * from './c.js';\nconst quote = /[\"]/;\nexport const d = () => quote.test('') || import('./d.js');\n",
        'a.ts': 'export type A = number;\n',
        'b.ts': 'export const b = 1;\n',
        'c.ts': "export { e } from './e.js';\n",
        'd.ts': 'export const d = 1;\n',
        'e.ts': 'export const e = 1;\n',
        'lone.ts': 'export const lone = 1;\n',
      };
      for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
      const reached = [...reachesWithPath(path.join(dir, 'entry.ts'), moduleGraph(dir)).keys()].map((f) => path.basename(f)).sort();
      expect(reached).toEqual(['a.ts', 'b.ts', 'c.ts', 'd.ts', 'e.ts']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('no import cycles', () => {
  it('no module under src/ reaches itself through its imports (type-only ones included)', () => {
    expect(cycles(moduleGraph(src)).map((c) => c.map(rel).join(' ↔ '))).toEqual([]);
  });

  it('the cycle search finds a cycle of three, a type-only one and a self-import', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'et-cycle-'));
    try {
      const files: Record<string, string> = {
        'a.ts': "import { b } from './b.js';\nexport const a = b;\n",
        'b.ts': "import { c } from './c.js';\nexport const b = c;\n",
        'c.ts': "export { a } from './a.js';\nexport const c = 1;\n",
        'd.ts': "import type { E } from './e.js';\nexport type D = E;\n",
        'e.ts': "import type { D } from './d.js';\nexport type E = D | number;\n",
        'f.ts': "import { a } from './a.js';\nexport const f = () => import('./f.js');\n",
      };
      for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
      const found = cycles(moduleGraph(dir)).map((c) => c.map((f) => path.basename(f)).join(' ')).sort();
      expect(found).toEqual(['a.ts b.ts c.ts', 'd.ts e.ts', 'f.ts']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
