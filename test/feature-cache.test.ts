// The corpus feature cache serves entries only under the extractor that wrote them: a cache from
// an older F0 tracker (same FEATURE_VERSION, different values) is rebuilt, not served.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { extractCorpusFeatures } from '../src/train/corpus-features.js';

const clip = path.resolve(__dirname, '../../shared/data/ravdess/03-01-05-01-01-01-01.wav');

describe('feature cache', () => {
  it('serves entries from the same extractor and rebuilds those from another', async () => {
    const cacheFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'et-fcache-')), 'features.json');
    const first = (await extractCorpusFeatures([clip], { cacheFile })).features.get(clip)!;
    const cache = JSON.parse(readFileSync(cacheFile, 'utf8'));
    expect(cache.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    // A marked entry comes back as stored: the cache is used...
    cache.entries[clip].features.values[0] = 12345;
    writeFileSync(cacheFile, JSON.stringify(cache));
    expect((await extractCorpusFeatures([clip], { cacheFile })).features.get(clip)!.values[0]).toBe(12345);
    // ...but not when another extractor wrote it.
    cache.fingerprint = '0000000000000000';
    writeFileSync(cacheFile, JSON.stringify(cache));
    const again = (await extractCorpusFeatures([clip], { cacheFile })).features.get(clip)!;
    expect(again.values[0]).not.toBe(12345);
    expect(again.values).toEqual(first.values);
  });
});
