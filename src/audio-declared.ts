// The duration a compressed container declares in its headers, read before anything is decoded,
// so that loadAudio's maxDuration refuses a long stream (a "decompression bomb": an hour of
// silence is a 546 KB FLAC and 1.5 GB of samples) without paying for its decode. Only what is
// cheap and unambiguous: FLAC's STREAMINFO total samples, and an Ogg Vorbis stream's last granule
// position (found in the file's final 64 KiB). Null when the file does not say (MP3, a FLAC
// written by a streaming encoder with total samples 0): the decoded duration is then checked
// while decoding (audio-wasm.ts stops at the first piece past the limit). The declared frames
// also size the decoded output once.

/** Declared frames (per channel) and sample rate, or null. */
export interface Declared {
  frames: number;
  sampleRate: number;
}

function flacDeclared(b: Uint8Array): Declared | null {
  // "fLaC", then the first metadata block, which must be STREAMINFO (type 0, 34 bytes).
  if (b.length < 26 || (b[4] & 0x7f) !== 0) return null;
  const sampleRate = (b[18] << 12) | (b[19] << 4) | (b[20] >> 4);
  // Total samples: 36 bits, the low nibble of byte 21 and bytes 22-25.
  const frames = (b[21] & 0x0f) * 2 ** 32 + b[22] * 2 ** 24 + ((b[23] << 16) | (b[24] << 8) | b[25]);
  return frames > 0 && sampleRate > 0 ? { frames, sampleRate } : null;
}

/** Window at the end of an Ogg file searched for the last page (a page is at most 65 307 bytes). */
const OGG_TAIL = 1 << 16;

function oggDeclared(b: Uint8Array): Declared | null {
  // First page: 27-byte header, segment table, then the Vorbis identification packet
  // (0x01 "vorbis", version, channels, rate).
  if (b.length < 28) return null;
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const serial = view.getUint32(14, true);
  const id = 27 + b[26];
  if (b.length < id + 16 || b[id] !== 1 || String.fromCharCode(...b.subarray(id + 1, id + 7)) !== 'vorbis') return null;
  const sampleRate = view.getUint32(id + 12, true);
  for (let p = b.length - 27; p >= Math.max(0, b.length - OGG_TAIL); p--) {
    if (b[p] !== 0x4f || b[p + 1] !== 0x67 || b[p + 2] !== 0x67 || b[p + 3] !== 0x53) continue;
    if (view.getUint32(p + 14, true) !== serial) continue;
    const granule = view.getBigInt64(p + 6, true);
    if (granule <= 0n) continue;  // -1: no packet ends on this page
    return sampleRate > 0 ? { frames: Number(granule), sampleRate } : null;
  }
  return null;
}

export function declaredLength(container: 'flac' | 'mp3' | 'ogg', bytes: Uint8Array): Declared | null {
  if (container === 'flac') return flacDeclared(bytes);
  if (container === 'ogg') return oggDeclared(bytes);
  return null;
}
