// The reward server behind a dynamic import: fastify (≈130 ms to load) is loaded by programs that
// start a server, not by every program that imports the package.
import type { RewardServer } from './server.js';
import type { ServeOptions } from './options.js';

export type { RewardServer };

/** Creates the reward server (src/serve/server.ts); call `listen()` on it to start. */
export async function createRewardServer(options: ServeOptions = {}): Promise<RewardServer> {
  const { createRewardServer: create } = await import('./server.js');
  return create(options);
}
