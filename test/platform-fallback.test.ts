// What happens where no prebuild fits (issue #19 §3) and under Node's permission model on each
// Node major (§2). The package is laid out as npm installs it (package.json, dist/, prebuilds/,
// scripts/install.cjs, no build/ and no .git) in a temporary folder, so neither the repository's
// build/Release nor its git checkout can be what decides.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { NODE_MAJORS, nodeBinaries, permissionFlag } from './helpers/node-binaries.js';

const root = path.resolve(__dirname, '..');
let tmp = '';
let pkg = '';
let nodeOnly = '';

// Prints the outcome of importing the package and decoding the sample, as JSON.
const probe = `
  try {
    const m = await import(process.argv[1]);
    const a = await m.loadAudio(process.argv[2]);
    console.log(JSON.stringify({ ok: true, frames: a.frames, addon: m.backends().cpu.addon }));
  } catch (e) {
    console.log(JSON.stringify({ ok: false, name: e.name, code: e.code, message: e.message }));
  }`;

function runProbe(node: string, env: Record<string, string | undefined>, flags: string[] = []) {
  const r = spawnSync(node, [...flags, '--input-type=module', '-e', probe, path.join(pkg, 'dist', 'index.js'), path.join(pkg, 'samples', 'hello.wav')], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

beforeAll(() => {
  expect(existsSync(path.join(root, 'dist', 'index.js')), 'run `npm run build:ts` first').toBe(true);
  expect(existsSync(path.join(root, 'prebuilds', `${process.platform}-${process.arch}`)), 'run `npm run prebuildify` first').toBe(true);
  tmp = mkdtempSync(path.join(os.tmpdir(), 'et-platform-'));
  pkg = path.join(tmp, 'emotionthinker');
  mkdirSync(path.join(pkg, 'scripts'), { recursive: true });
  for (const p of ['package.json', 'dist', 'prebuilds', 'samples', 'models', 'src/calibration']) cpSync(path.join(root, p), path.join(pkg, p), { recursive: true });
  cpSync(path.join(root, 'scripts', 'install.cjs'), path.join(pkg, 'scripts', 'install.cjs'));
  symlinkSync(path.join(root, 'node_modules'), path.join(pkg, 'node_modules'));
  // A PATH holding node and nothing else: no compiler, make or python.
  nodeOnly = path.join(tmp, 'bin');
  mkdirSync(nodeOnly);
  symlinkSync(process.execPath, path.join(nodeOnly, 'node'));
});

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('no matching prebuild', () => {
  it('import fails with ERR_BACKEND_UNAVAILABLE naming platform, arch, libc, the prebuilds shipped and what to install', () => {
    const shipped = readdirSync(path.join(root, 'prebuilds')).sort();
    const out = runProbe(process.execPath, { npm_config_arch: 'riscv64' });
    expect(out.ok).toBe(false);
    expect(out.name).toBe('EmotionThinkerError');
    expect(out.code).toBe('ERR_BACKEND_UNAVAILABLE');
    expect(out.message).toContain('no native addon for linux-riscv64 (glibc)');
    expect(out.message).toContain(`ships prebuilds for ${shipped.join(', ')} (glibc)`);
    expect(out.message).toContain('build-essential');
    expect(out.message).toContain('npm rebuild emotionthinker');
  });

  it('names musl when the C library is musl', () => {
    const out = runProbe(process.execPath, { npm_config_arch: 'riscv64', LIBC: 'musl' });
    expect(out.code).toBe('ERR_BACKEND_UNAVAILABLE');
    expect(out.message).toContain('linux-riscv64 (musl)');
  });

  it('the install script succeeds without a compiler and says the import will explain', () => {
    const r = spawnSync(process.execPath, [path.join(pkg, 'scripts', 'install.cjs')], {
      env: { ...process.env, PATH: nodeOnly, CXX: '', npm_config_arch: 'riscv64' },
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('no prebuild for linux-riscv64 and no C++ compiler/make/python3');
    expect(existsSync(path.join(pkg, 'build'))).toBe(false);
  });

  it('the install script does nothing where the prebuild loads', () => {
    const r = spawnSync(process.execPath, [path.join(pkg, 'scripts', 'install.cjs')], { env: { ...process.env, PATH: nodeOnly }, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    expect(existsSync(path.join(pkg, 'build'))).toBe(false);
  });
});

describe('Node majors and the permission model', () => {
  const nodes = nodeBinaries();

  it('has a Node binary for every major in engines (required in CI)', () => {
    if (process.env.ET_PLATFORMS !== '1') return;
    expect(nodes.map((n) => n.major).sort()).toEqual([...NODE_MAJORS]);
  });

  for (const { major, bin } of nodes) {
    it(`Node ${major}: the one N-API prebuild loads and decodes`, () => {
      const out = runProbe(bin, {});
      expect(out.ok, out.message).toBe(true);
      expect(out.addon).toBe(path.join(pkg, 'prebuilds', `linux-${process.arch}`, 'emotionthinker.node'));
      expect(out.frames).toBeGreaterThan(16000 * 3);
    });

    it(`Node ${major}: permission model without --allow-addons gives ERR_BACKEND_UNAVAILABLE naming the flag`, () => {
      const out = runProbe(bin, {}, [permissionFlag(major), '--allow-fs-read=*']);
      expect(out.ok).toBe(false);
      expect(out.code).toBe('ERR_BACKEND_UNAVAILABLE');
      expect(out.message).toMatch(/permission model .* start node with --allow-addons/);
    });

    it(`Node ${major}: permission model with --allow-addons decodes`, () => {
      const out = runProbe(bin, {}, [permissionFlag(major), '--allow-fs-read=*', '--allow-addons']);
      expect(out.ok, out.message).toBe(true);
      expect(out.frames).toBeGreaterThan(16000 * 3);
    });
  }
});

describe('source build at install', () => {
  it('with a compiler and no matching prebuild, the install script builds build/Release with node-gyp, and that is what loads', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'et-srcbuild-'));
    try {
      const own = `${process.platform}-${process.arch}`;
      for (const p of ['package.json', 'dist', 'samples', 'models', 'src/calibration', 'binding.gyp', 'native', 'bindings']) cpSync(path.join(root, p), path.join(dir, p), { recursive: true });
      // Every prebuild but this machine's: the tarball of a release without this platform.
      for (const d of readdirSync(path.join(root, 'prebuilds')).filter((d) => d !== own)) cpSync(path.join(root, 'prebuilds', d), path.join(dir, 'prebuilds', d), { recursive: true });
      mkdirSync(path.join(dir, 'scripts'));
      cpSync(path.join(root, 'scripts', 'install.cjs'), path.join(dir, 'scripts', 'install.cjs'));
      symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'));
      const r = spawnSync(process.execPath, [path.join(dir, 'scripts', 'install.cjs')], { encoding: 'utf8' });
      expect(r.status, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toContain(`no prebuild for ${own}; building from source with node-gyp`);
      const out = spawnSync(process.execPath, ['--input-type=module', '-e', probe, path.join(dir, 'dist', 'index.js'), path.join(dir, 'samples', 'hello.wav')], { encoding: 'utf8' });
      const res = JSON.parse(out.stdout.trim().split('\n').pop()!);
      expect(res.ok, res.message).toBe(true);
      expect(res.addon).toBe(path.join(dir, 'build', 'Release', 'emotionthinker.node'));
      expect(res.frames).toBeGreaterThan(16000 * 3);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 900_000);
});
