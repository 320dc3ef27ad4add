// Responses already read (parsed, answer mapped, claims extracted: readResponse), per text, so a
// text met again — the same completion sampled twice in a group, or sent again about another
// clip — is not read again. Least recently used first out, bounded by an estimate of the entries'
// memory (the text at 2 bytes a character, plus a fixed cost per claim and per entry).
import type { ReadResponse } from '../verify/verify.js';

const ENTRY_BYTES = 256;
const CLAIM_BYTES = 320;

export class TextCache {
  readonly limitBytes: number;
  #bytes = 0;
  #map = new Map<string, { value: ReadResponse; bytes: number }>(); // insertion order = recency order
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

  /** The read response of `text`, from the cache or made by `read`. */
  get(text: string, read: (text: string) => ReadResponse): ReadResponse {
    const hit = this.#map.get(text);
    if (hit) {
      this.hits++;
      this.#map.delete(text);
      this.#map.set(text, hit);
      return hit.value;
    }
    this.misses++;
    const value = read(text);
    const bytes = ENTRY_BYTES + 2 * text.length + CLAIM_BYTES * value.claims.length + 2 * (value.answer?.length ?? 0);
    if (bytes <= this.limitBytes) {
      this.#map.set(text, { value, bytes });
      this.#bytes += bytes;
      for (const [k, e] of this.#map) {
        if (this.#bytes <= this.limitBytes) break;
        this.#map.delete(k);
        this.#bytes -= e.bytes;
      }
    }
    return value;
  }
}
