// Prints the paths of native/sources.txt of the given kinds, space-separated, for binding.gyp:
//   node native/sources.cjs core nocuda binding
'use strict';
const fs = require('fs');
const path = require('path');
const kinds = new Set(process.argv.slice(2));
const lines = fs.readFileSync(path.join(__dirname, 'sources.txt'), 'utf8').split('\n');
const out = [];
for (const line of lines) {
  const t = line.trim();
  if (!t || t.startsWith('#')) continue;
  const [kind, file] = t.split(/\s+/);
  if (kinds.has(kind)) out.push(file);
}
process.stdout.write(out.join(' ') + '\n');
