import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(__dirname, '..');

// The published tarball must work with no compiler and no install scripts: the addon comes from
// prebuilds/, loaded by node-gyp-build. Needs `npm run build:ts && npm run prebuildify` first
// (.ci/run does both).
describe('packed package', () => {
  it('installs with --ignore-scripts into an empty project, imports, and decodes a WAV from the prebuild', () => {
    expect(existsSync(path.join(root, 'prebuilds', `${process.platform}-${process.arch}`)), 'run `npm run prebuildify` first').toBe(true);
    expect(existsSync(path.join(root, 'dist', 'index.js')), 'run `npm run build:ts` first').toBe(true);
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'et-pack-'));
    try {
      execFileSync('npm', ['pack', '--ignore-scripts', '--pack-destination', tmp], { cwd: root, stdio: 'pipe' });
      const tgz = readdirSync(tmp).find((f) => f.endsWith('.tgz'));
      expect(tgz).toBeDefined();
      const proj = path.join(tmp, 'consumer');
      execFileSync('mkdir', ['-p', proj]);
      writeFileSync(path.join(proj, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', type: 'module' }));
      execFileSync('npm', ['install', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline', path.join(tmp, tgz!)], {
        cwd: proj,
        stdio: 'pipe',
      });
      // No build output travels in the tarball: only the prebuild can be what loads.
      expect(existsSync(path.join(proj, 'node_modules', 'emotionthinker', 'build'))).toBe(false);
      writeFileSync(
        path.join(proj, 'main.mjs'),
        `import { loadAudio, backends, summarizeAudio } from 'emotionthinker';
         import { createRequire } from 'node:module';
         const require = createRequire(import.meta.url);
         const sample = require.resolve('emotionthinker/package.json').replace('package.json', 'samples/hello.wav');
         const a = await loadAudio(sample, { sampleRate: 16000, mono: true });
         const s = summarizeAudio(a);
         console.log(JSON.stringify({ addon: backends().cpu.addon, cuda: backends().cuda, rate: a.sampleRate, frames: a.frames, rms: s.rmsDbfs }));`,
      );
      const out = JSON.parse(execFileSync('node', ['main.mjs'], { cwd: proj, encoding: 'utf8' }));
      expect(out.addon).toMatch(/prebuilds[/\\]linux-x64[/\\]emotionthinker\.node$/);
      expect(out.cuda.available).toBe(false);
      expect(out.cuda.reason).toMatch(/no CUDA support/);
      expect(out.rate).toBe(16000);
      expect(out.frames).toBeGreaterThan(16000 * 3);
      expect(out.rms).toBeLessThan(-10);
      expect(out.rms).toBeGreaterThan(-40);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }, 300_000);
});
