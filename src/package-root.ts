// The package's root folder, for files shipped beside the code (package.json, models/,
// examples/, benchmarks/, the calibration). Kept apart from src/native.ts so that finding a
// folder does not load the native addon.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Package root: this file lives in src/ (tests) or dist/ (published), one level down. */
export const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
