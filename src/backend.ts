// Backend discovery and the `backend: 'auto' | 'cpu' | 'cuda'` option every compute call takes.
import os from 'node:os';
import { native, nativePath } from './native.js';
import { EmotionThinkerError, invalidArg } from './errors.js';

export type Backend = 'auto' | 'cpu' | 'cuda';
export type ResolvedBackend = 'cpu' | 'cuda';

export interface CudaBackendInfo {
  /** True when this addon was built with CUDA kernels and a usable device is present. */
  available: boolean;
  /** Whether this addon binary contains CUDA code at all. */
  compiled: boolean;
  device?: { name: string; computeCapability: string; totalMemory: number; count: number };
  driverVersion?: number;
  runtimeVersion?: number;
  /** Why CUDA cannot be used, when `available` is false. */
  reason?: string;
}

export interface BackendsInfo {
  cpu: { available: true; threads: number; arch: string; addon: string; buildSystem?: string };
  cuda: CudaBackendInfo;
}

let cached: BackendsInfo | undefined;

/** Describes the compute backends. Never throws: a missing GPU is reported with a reason. */
export function backends(): BackendsInfo {
  if (cached) return cached;
  const build = native.buildInfo();
  const s = native.cudaStatus();
  const cuda: CudaBackendInfo = { available: s.available, compiled: s.compiled };
  if (s.runtimeVersion) cuda.runtimeVersion = s.runtimeVersion;
  if (s.driverVersion) cuda.driverVersion = s.driverVersion;
  if (s.available) {
    cuda.device = {
      name: s.deviceName,
      computeCapability: s.computeCapability,
      totalMemory: s.totalMemory,
      count: s.deviceCount,
    };
  } else {
    cuda.reason = s.reason;
  }
  cached = {
    cpu: {
      available: true,
      threads: os.availableParallelism(),
      arch: process.arch,
      addon: nativePath,
      buildSystem: build.buildSystem,
    },
    cuda,
  };
  return cached;
}

/**
 * Resolves a `backend` option. `auto` picks CUDA when it is available and the operation has a
 * CUDA implementation, else the CPU; an explicit `cuda` that cannot be honoured is an error.
 */
export function resolveBackend(requested: Backend | undefined, hasCudaKernel: boolean): ResolvedBackend {
  const choice = requested ?? 'auto';
  if (choice !== 'auto' && choice !== 'cpu' && choice !== 'cuda') {
    throw invalidArg(`option "backend" must be 'auto', 'cpu' or 'cuda'; got ${JSON.stringify(requested)}`);
  }
  if (choice === 'cpu') return 'cpu';
  const cuda = backends().cuda;
  if (choice === 'cuda') {
    if (!cuda.available) {
      throw new EmotionThinkerError('ERR_BACKEND_UNAVAILABLE', `backend 'cuda' requested but ${cuda.reason}`);
    }
    if (!hasCudaKernel) {
      throw new EmotionThinkerError('ERR_BACKEND_UNAVAILABLE', `backend 'cuda' requested but this operation has no CUDA kernel yet`);
    }
    return 'cuda';
  }
  return cuda.available && hasCudaKernel ? 'cuda' : 'cpu';
}
