#!/usr/bin/env node
// npm "install" step of the published package. node-gyp-build's standard order: a local
// build/Release or a matching prebuild that loads wins and nothing runs; otherwise build from
// source with node-gyp. One difference: without a compiler the install still succeeds (and
// says so), so that importing the package raises EmotionThinkerError ERR_BACKEND_UNAVAILABLE
// naming the platform, the shipped prebuilds and what to install (src/platform.ts), instead of
// npm printing a node-gyp stack trace. A compiler that is present but fails does fail the install.
'use strict';
const { spawnSync } = require('node:child_process');
const { existsSync } = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
// The same overrides node-gyp-build honours when it picks a prebuild.
const target = `${process.env.npm_config_platform || process.platform}-${process.env.npm_config_arch || process.arch}`;

// A git checkout is a development tree: scripts/setup.sh builds the addon and prebuilds there.
if (existsSync(path.join(root, '.git'))) process.exit(0);

try {
  require(require('node-gyp-build').resolve(root));
  process.exit(0);
} catch {
  // No loadable build for this platform: try a source build.
}

function onPath(name) {
  return (process.env.PATH || '').split(path.delimiter).some((dir) => dir && existsSync(path.join(dir, name)));
}

const compiler = process.env.CXX ? process.env.CXX.split(' ')[0] : ['c++', 'g++', 'clang++'].find(onPath);
const compilerFound = compiler && (path.isAbsolute(compiler) ? existsSync(compiler) : onPath(compiler));
const win = process.platform === 'win32';
if (!win && (!compilerFound || !onPath('make') || !(onPath('python3') || onPath('python')))) {
  console.log(
    `emotionthinker: no prebuild for ${target} and no C++ compiler/make/python3 to build one; ` +
      'the install continues, and importing the package will say what to install.',
  );
  process.exit(0);
}

// npm passes its bundled node-gyp; a local devDependency or one on PATH also works.
let gyp = process.env.npm_config_node_gyp;
if (!gyp) {
  try {
    gyp = require.resolve('node-gyp/bin/node-gyp.js');
  } catch {
    gyp = '';
  }
}
const args = gyp ? [process.execPath, gyp, 'rebuild', '--jobs=max'] : [win ? 'node-gyp.cmd' : 'node-gyp', 'rebuild', '--jobs=max'];
console.log(`emotionthinker: no prebuild for ${target}; building from source with node-gyp`);
const r = spawnSync(args[0], args.slice(1), { cwd: root, stdio: 'inherit', shell: win && !gyp });
process.exit(r.status ?? 1);
