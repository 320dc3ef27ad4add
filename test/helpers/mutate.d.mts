// Types of test/helpers/mutate.mjs for the TypeScript tests.
export interface Seed {
  name: string;
  bytes: Uint8Array;
}
export interface MutationCase {
  index: number;
  seed: string;
  ops: string[];
  bytes: Uint8Array;
  resample: boolean;
}
export function rng(seed: number): () => number;
export function makeSeeds(dir: string, where: { shared: string; samples: string }): Seed[];
export function mutationCase(seeds: Seed[], index: number, baseSeed?: number): MutationCase;
