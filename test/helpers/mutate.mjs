// Seeded mutations of real audio files for the mutation fuzz test (test/mutation-fuzz.test.ts)
// and the cost benchmark (benchmarks/mutation-cost.mjs). Plain JS so that the test, its child
// processes and the benchmark all derive exactly the same case from (seed file, case index).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** mulberry32, as test/helpers/rng.ts. */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Values that sit on the edges decoders get wrong: zero, one, sign bits, all ones, powers of
// two, common rates and an absurd one.
const INTERESTING32 = [0, 1, 2, 3, 7, 8, 16, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000, 8000, 16000,
  44100, 48000, 96000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff, 1e9 >>> 0, 4000000000];
const INTERESTING16 = [0, 1, 2, 3, 6, 7, 8, 16, 24, 32, 64, 0xff, 0x7fff, 0x8000, 0xfffe, 0xffff];

/**
 * Seed files (name -> bytes), made with sox from the shared data and samples/: short real speech
 * as WAV in several layouts, FLAC, MP3 and Ogg Vorbis. Cached in `dir`.
 */
export function makeSeeds(dir, { shared, samples }) {
  mkdirSync(dir, { recursive: true });
  const fda = path.join(shared, 'fda-ue', 'rl001.wav');
  const ravDir = path.join(shared, 'ravdess-48k');
  const rav = path.join(ravDir, readdirSync(ravDir).filter((f) => f.endsWith('.wav')).sort()[0]);
  const hello = path.join(samples, 'hello.wav');
  // name, source, sox output options, start and length (s): speech, not leading silence
  const specs = [
    ['s16-16k.wav', fda, ['-r', '16000', '-c', '1', '-b', '16', '-e', 'signed-integer'], 0.3, 0.8],
    ['u8-8k.wav', hello, ['-r', '8000', '-c', '1', '-b', '8', '-e', 'unsigned-integer'], 0.5, 0.8],
    ['s24-48k-stereo.wav', rav, ['-r', '48000', '-c', '2', '-b', '24', '-e', 'signed-integer'], 0.8, 0.5],
    ['f32-22k.wav', hello, ['-r', '22050', '-c', '1', '-b', '32', '-e', 'floating-point'], 0.5, 0.6],
    ['mulaw-8k.wav', fda, ['-r', '8000', '-c', '1', '-e', 'u-law'], 0.3, 0.8],
    ['ext-s16-3ch.wav', rav, ['-r', '16000', '-c', '3', '-b', '16', '-e', 'signed-integer'], 0.8, 0.4],
    ['flac-16k.flac', fda, ['-r', '16000', '-c', '1', '-b', '16'], 0.3, 0.8],
    ['flac-44k-stereo.flac', rav, ['-r', '44100', '-c', '2', '-b', '16'], 0.8, 0.4],
    ['mp3-22k.mp3', hello, ['-r', '22050', '-c', '1', '-C', '64'], 0.5, 0.8],
    ['ogg-16k.ogg', fda, ['-r', '16000', '-c', '1', '-C', '3'], 0.3, 0.8],
  ];
  const seeds = [];
  for (const [name, src, opts, start, len] of specs) {
    const out = path.join(dir, name);
    if (!existsSync(out)) execFileSync('sox', [src, ...opts, out, 'trim', String(start), String(len)]);
    seeds.push({ name, bytes: new Uint8Array(readFileSync(out)) });
  }
  return seeds;
}

const u32 = (b, o, v) => { if (o >= 0 && o + 4 <= b.length) new DataView(b.buffer, b.byteOffset).setUint32(o, v >>> 0, true); };
const u16 = (b, o, v) => { if (o >= 0 && o + 2 <= b.length) new DataView(b.buffer, b.byteOffset).setUint16(o, v & 0xffff, true); };
const ascii = (b, o, s) => [...s].every((c, i) => b[o + i] === c.charCodeAt(0));
function find(b, s, from = 0) {
  for (let o = from; o + s.length <= b.length; o++) if (ascii(b, o, s)) return o;
  return -1;
}
const pick = (r, arr) => arr[Math.floor(r() * arr.length)];
const at = (r, n) => Math.floor(r() * n);

// RIFF chunk headers (id offset) in a WAV file, walking the chunk list as a decoder would.
function wavChunks(b) {
  const out = [];
  if (!(ascii(b, 0, 'RIFF') || ascii(b, 0, 'RF64')) || !ascii(b, 8, 'WAVE')) return out;
  let o = 12;
  while (o + 8 <= b.length && out.length < 32) {
    out.push(o);
    const size = new DataView(b.buffer, b.byteOffset).getUint32(o + 4, true);
    o += 8 + size + (size & 1);
  }
  return out;
}

// Each mutation edits `b` in place or returns a new array; it names what it did.
const MUTATIONS = {
  bitflip(b, r) {
    const n = 1 + at(r, 8);
    const head = r() < 0.5 ? Math.min(b.length, 128) : b.length;
    for (let i = 0; i < n; i++) b[at(r, head)] ^= 1 << at(r, 8);
    return [b, `bitflip x${n}${head === b.length ? '' : ' in header'}`];
  },
  truncate(b, r) {
    const n = r() < 0.5 ? at(r, Math.min(b.length, 200)) : at(r, b.length);
    return [b.slice(0, n), `truncate to ${n}`];
  },
  headerField(b, r) {
    // WAV 'fmt ' fields, else any 16/32-bit field in the first 128 bytes.
    const fmt = find(b, 'fmt ');
    if (fmt >= 0 && fmt < 256 && r() < 0.8) {
      const [name, off, w] = pick(r, [['tag', 8, 2], ['channels', 10, 2], ['rate', 12, 4], ['byteRate', 16, 4],
        ['blockAlign', 20, 2], ['bits', 22, 2], ['cbSize', 24, 2], ['validBits', 26, 2], ['subFormat', 32, 2]]);
      const v = w === 2 ? pick(r, INTERESTING16) : pick(r, INTERESTING32);
      (w === 2 ? u16 : u32)(b, fmt + off, v);
      return [b, `fmt.${name} = ${v}`];
    }
    const o = at(r, Math.min(b.length, 128));
    const v = pick(r, INTERESTING32);
    if (r() < 0.5) u16(b, o, v); else u32(b, o, v);
    return [b, `header @${o} = ${v}`];
  },
  chunkSizeLie(b, r) {
    const chunks = wavChunks(b);
    if (chunks.length && r() < 0.8) {
      const c = r() < 0.2 ? 0 : pick(r, chunks); // 0: the RIFF size itself
      const v = pick(r, [...INTERESTING32, b.length, b.length - (c + 8), b.length * 2]);
      u32(b, c + 4, v);
      return [b, `${String.fromCharCode(...b.subarray(c, c + 4))} size = ${v}`];
    }
    // FLAC metadata block lengths (24-bit big-endian), Ogg page segment counts.
    if (ascii(b, 0, 'fLaC') && b.length > 8) {
      const v = pick(r, [0, 1, 33, 34, 0xffffff]);
      b[5] = v >> 16; b[6] = (v >> 8) & 255; b[7] = v & 255;
      return [b, `FLAC STREAMINFO length = ${v}`];
    }
    const page = find(b, 'OggS', at(r, Math.max(1, b.length - 27)));
    if (page >= 0 && page + 27 <= b.length) {
      b[page + 26] = pick(r, [0, 1, 255]);
      return [b, `Ogg page @${page} segments = ${b[page + 26]}`];
    }
    return MUTATIONS.bitflip(b, r);
  },
  rateField(b, r) {
    const v = pick(r, [0, 1, 7, 4000, 8000, 11025, 192000, 384000, 655350, 0x7fffffff, 0xffffffff]);
    const fmt = find(b, 'fmt ');
    if (fmt >= 0 && fmt < 256) { u32(b, fmt + 12, v); return [b, `WAV rate = ${v}`]; }
    if (ascii(b, 0, 'fLaC') && b.length > 21) {
      // STREAMINFO: 20-bit sample rate at byte 18 of the file (after 'fLaC' and the block header).
      const s = v & 0xfffff;
      b[18] = s >> 12; b[19] = (s >> 4) & 255; b[20] = (b[20] & 15) | ((s & 15) << 4);
      return [b, `FLAC rate = ${s}`];
    }
    const vorbis = find(b, '\x01vorbis');
    if (vorbis >= 0) { u32(b, vorbis + 12, v); return [b, `Vorbis rate = ${v}`]; }
    // MPEG frame header: the sample-rate index (bits 3..2 of the third byte) of a random frame.
    for (let o = at(r, b.length); o + 3 < b.length; o++) {
      if (b[o] === 0xff && (b[o + 1] & 0xe0) === 0xe0) {
        b[o + 2] = (b[o + 2] & ~0x0c) | (at(r, 4) << 2);
        return [b, `MPEG frame @${o} rate index = ${(b[o + 2] >> 2) & 3}`];
      }
    }
    return MUTATIONS.headerField(b, r);
  },
  channelsField(b, r) {
    const v = pick(r, [0, 1, 2, 3, 8, 255, 256, 0x7fff, 0xffff]);
    const fmt = find(b, 'fmt ');
    if (fmt >= 0 && fmt < 256) { u16(b, fmt + 10, v); return [b, `WAV channels = ${v}`]; }
    const vorbis = find(b, '\x01vorbis');
    if (vorbis >= 0 && vorbis + 11 < b.length) { b[vorbis + 11] = v & 255; return [b, `Vorbis channels = ${v & 255}`]; }
    return MUTATIONS.headerField(b, r);
  },
  extremeSamples(b, r) {
    // Float or integer extremes written over the sample data (after the first 64 bytes).
    const n = 1 + at(r, 16);
    const dv = new DataView(b.buffer, b.byteOffset);
    const v = pick(r, [3e36, -3e36, 3.4e38, NaN, Infinity, -Infinity, 1e-45, 65504]);
    for (let i = 0; i < n && b.length > 72; i++) dv.setFloat32(64 + 4 * at(r, (b.length - 68) >> 2), v, true);
    return [b, `float32 ${v} x${n} in the data`];
  },
  splice(b, r) {
    // Duplicate or delete a span, or insert random bytes: offsets stop matching sizes.
    const o = at(r, b.length + 1);
    const n = 1 + at(r, 512);
    const kind = at(r, 3);
    if (kind === 0) return [Uint8Array.from([...b.subarray(0, o), ...b.subarray(o, o + n), ...b.subarray(o)]), `duplicate ${n} @${o}`];
    if (kind === 1) return [Uint8Array.from([...b.subarray(0, o), ...b.subarray(o + n)]), `delete ${n} @${o}`];
    const junk = Uint8Array.from({ length: n }, () => at(r, 256));
    return [Uint8Array.from([...b.subarray(0, o), ...junk, ...b.subarray(o)]), `insert ${n} random @${o}`];
  },
};
const KINDS = Object.keys(MUTATIONS);

/**
 * Case `index` of the corpus built from `seeds` with `baseSeed`: a seed file (by index, so all
 * containers are covered evenly) and 1-3 mutations. The same arguments give the same bytes.
 */
export function mutationCase(seeds, index, baseSeed = 1) {
  const seed = seeds[index % seeds.length];
  const r = rng((baseSeed * 0x9e3779b1 + index * 0x85ebca6b) >>> 0);
  let b = seed.bytes.slice();
  const ops = [];
  const n = 1 + at(r, 3);
  for (let i = 0; i < n && b.length > 0; i++) {
    const [next, what] = MUTATIONS[pick(r, KINDS)](b, r);
    b = next;
    ops.push(what);
  }
  // Half the cases also ask loadAudio for 16 kHz mono (the resampler on the mutated rate).
  const resample = r() < 0.5;
  return { index, seed: seed.name, ops, bytes: b, resample };
}
