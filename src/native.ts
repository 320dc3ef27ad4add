// The raw native surface, typed in one place. Nothing else in src/ loads the addon; the user
// API (audio.ts, backend.ts, ...) wraps these calls with validation and error translation.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export interface RawDecodedAudio {
  sampleRate: number;
  channels: number;
  encoding: string;
  bitsPerSample: number;
  dataSizeRepaired: boolean;
  /** Interleaved: samples[frame * channels + channel]. */
  samples: Float32Array;
}

export interface RawCudaStatus {
  compiled: boolean;
  available: boolean;
  reason: string;
  deviceCount: number;
  deviceName: string;
  computeCapability: string;
  totalMemory: number;
  driverVersion: number;
  runtimeVersion: number;
}

export interface RawBuildInfo {
  cuda: boolean;
  buildSystem?: string;
  compiler: string;
}

export interface NativeAddon {
  decodeWav(bytes: Uint8Array): RawDecodedAudio;
  decodeWavAsync(bytes: Uint8Array): Promise<RawDecodedAudio>;
  /** With `mono`, channels are averaged in the same pass and the result has one channel. */
  resample(samples: Float32Array, channels: number, fromRate: number, toRate: number, mono?: boolean, threads?: number): Float32Array;
  resampleAsync(samples: Float32Array, channels: number, fromRate: number, toRate: number, mono?: boolean, threads?: number): Promise<Float32Array>;
  mixToMono(samples: Float32Array, channels: number): Float32Array;
  cudaStatus(): RawCudaStatus;
  buildInfo(): RawBuildInfo;
}

/** Package root: this file lives in src/ (tests) or dist/ (published), one level down. */
export const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const require = createRequire(import.meta.url);

function load(): { addon: NativeAddon; path: string } {
  const override = process.env.EMOTIONTHINKER_ADDON;
  if (override) return { addon: require(path.resolve(override)) as NativeAddon, path: path.resolve(override) };
  const nodeGypBuild = require('node-gyp-build') as { (dir: string): unknown; resolve(dir: string): string };
  // node-gyp-build prefers build/Release (a local node-gyp or cmake-js build), then prebuilds/.
  const resolved = nodeGypBuild.resolve(packageRoot);
  return { addon: require(resolved) as NativeAddon, path: resolved };
}

const loaded = load();

export const native: NativeAddon = loaded.addon;
export const nativePath: string = loaded.path;
