import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(__dirname, '..');

// The core in native/ builds and tests without Node headers (its own CMake project + ctest).
describe('native core without Node', () => {
  it('builds with plain CMake and passes its C++ tests', () => {
    const dir = path.join(root, 'build-native');
    execFileSync('cmake', ['-S', path.join(root, 'native'), '-B', dir, '-DCMAKE_BUILD_TYPE=Release'], { stdio: 'pipe' });
    execFileSync('cmake', ['--build', dir, '-j2'], { stdio: 'pipe' });
    const out = execFileSync('ctest', ['--test-dir', dir, '--output-on-failure'], { encoding: 'utf8' });
    expect(out).toMatch(/100% tests passed/);
  }, 300_000);
});
