// The ensemble recipe's two numbers (src/train/ensemble-train.ts trains by them; the CLI and the
// scripts read them here, without loading the augmentation code).

/** Members of the bundled models' ensembles. */
export const DEFAULT_ENSEMBLE_MEMBERS = 3;

/**
 * Member k's seed (initialisation and augmentation draw) for an ensemble trained at `seed`:
 * member 0 is the single-model recipe at `seed`, so one member reproduces it.
 */
export function memberSeed(seed: number, k: number): number {
  return seed + 1000 * k;
}
