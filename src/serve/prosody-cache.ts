// Prosody and vocal effort (measureAudio) measured once per audio content: a least-recently-used
// map bounded by the bytes of its entries (their JSON size), keyed by the measurement's kind
// (MEASUREMENT_KIND) and the SHA-256 of the audio bytes; concurrent requests for the same content
// share one measurement.
import type { ProsodyMeasurements } from '../verify/measure.js';

interface Entry {
  value: ProsodyMeasurements;
  bytes: number;
}

export class ProsodyCache {
  readonly limitBytes: number;
  #bytes = 0;
  #map = new Map<string, Entry>(); // insertion order = recency order
  #pending = new Map<string, Promise<ProsodyMeasurements>>();
  hits = 0;
  misses = 0;

  constructor(limitBytes: number) {
    this.limitBytes = limitBytes;
  }

  get bytes(): number {
    return this.#bytes;
  }

  get size(): number {
    return this.#map.size;
  }

  /** The cached measurement of `key` (counted as a hit and made most recent), or undefined. */
  peek(key: string): ProsodyMeasurements | undefined {
    const hit = this.#map.get(key);
    if (!hit) return undefined;
    this.hits++;
    this.#map.delete(key);
    this.#map.set(key, hit);
    return hit.value;
  }

  /** The cached measurement of `key`, or the one `compute` makes (shared by concurrent callers). */
  async get(key: string, compute: () => Promise<ProsodyMeasurements>): Promise<ProsodyMeasurements> {
    const hit = this.#map.get(key);
    if (hit) {
      this.hits++;
      this.#map.delete(key);
      this.#map.set(key, hit);
      return hit.value;
    }
    const pending = this.#pending.get(key);
    if (pending) return pending;
    this.misses++;
    const p = compute().then(
      (value) => {
        this.#pending.delete(key);
        this.#put(key, value);
        return value;
      },
      (err) => {
        this.#pending.delete(key);
        throw err;
      },
    );
    this.#pending.set(key, p);
    return p;
  }

  #put(key: string, value: ProsodyMeasurements): void {
    const bytes = Buffer.byteLength(JSON.stringify(value)) + key.length;
    if (bytes > this.limitBytes) return;
    this.#map.set(key, { value, bytes });
    this.#bytes += bytes;
    for (const [k, e] of this.#map) {
      if (this.#bytes <= this.limitBytes) break;
      this.#map.delete(k);
      this.#bytes -= e.bytes;
    }
  }
}
