// Writes src/option-types.ts from the native option tables (run after a native build and tsc):
//   node scripts/gen-option-types.mjs
import { writeFileSync } from 'node:fs';
import { optionTypesSource } from '../dist/option-specs.js';

writeFileSync(new URL('../src/option-types.ts', import.meta.url), optionTypesSource());
