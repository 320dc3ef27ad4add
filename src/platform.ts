// What this package ships natively, and the error when none of it fits the running machine.
// The tuple matches node-gyp-build's choice (same environment overrides), so the message names
// exactly what was looked for.
import { readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EmotionThinkerError } from './errors.js';

export interface PlatformTuple {
  platform: string;
  arch: string;
  /** 'glibc' or 'musl' on Linux; '' elsewhere. */
  libc: string;
}

/** The platform node-gyp-build looks for (npm_config_platform / npm_config_arch / LIBC override). */
export function currentPlatform(): PlatformTuple {
  const platform = process.env.npm_config_platform || os.platform();
  const arch = process.env.npm_config_arch || os.arch();
  let libc = '';
  if (platform === 'linux') {
    const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
    libc = process.env.LIBC || (header?.glibcVersionRuntime ? 'glibc' : 'musl');
  }
  return { platform, arch, libc };
}

/** The prebuild folders shipped in the package (e.g. ['linux-arm64', 'linux-x64']). */
export function shippedPrebuilds(packageRoot: string): string[] {
  try {
    return readdirSync(path.join(packageRoot, 'prebuilds')).sort();
  } catch {
    return [];
  }
}

/** What to install for a source build on this platform. */
function toolchainHint(platform: string): string {
  if (platform === 'darwin') return 'the Xcode command line tools (xcode-select --install) and python3';
  if (platform === 'win32') return 'Visual Studio Build Tools (C++ workload) and python3';
  return 'a C++17 compiler, make and python3 (Debian/Ubuntu: apt-get install build-essential python3; Alpine: apk add build-base python3)';
}

/** The error thrown at import when neither a local build nor a matching prebuild exists. */
export function missingAddonError(packageRoot: string, cause: unknown): EmotionThinkerError {
  const { platform, arch, libc } = currentPlatform();
  const shipped = shippedPrebuilds(packageRoot);
  const here = `${platform}-${arch}${libc ? ` (${libc})` : ''}`;
  return new EmotionThinkerError(
    'ERR_BACKEND_UNAVAILABLE',
    `no native addon for ${here}, Node ${process.version}: this package ships prebuilds for ` +
      `${shipped.length ? shipped.join(', ') + ' (glibc)' : 'no platform'}, and no source build is present in ${path.join(packageRoot, 'build', 'Release')}. ` +
      `Install ${toolchainHint(platform)}, then run \`npm rebuild emotionthinker\` to build it from source.`,
    { cause },
  );
}

/**
 * Node's permission model (`--permission`, Node 20: `--experimental-permission`) denies native
 * addons and worker threads unless `--allow-addons` / `--allow-worker` is given. Returns the
 * coded error naming the missing flag when `err` is such a denial, else null.
 */
export function permissionDenied(err: unknown, what: 'addons' | 'worker'): EmotionThinkerError | null {
  const code = (err as { code?: unknown })?.code;
  if (code !== 'ERR_DLOPEN_DISABLED' && code !== 'ERR_ACCESS_DENIED') return null;
  const flag = `--allow-${what}`;
  const needed = what === 'addons' ? 'the native addon (every decode, resample, prosody and GRPO call)' : 'a worker thread (compressed-audio decoding, ONNX models and Silero VAD)';
  return new EmotionThinkerError(
    'ERR_BACKEND_UNAVAILABLE',
    `Node's permission model is on and denies ${needed}: start node with ${flag} (Node ${process.version})`,
    { cause: err },
  );
}
