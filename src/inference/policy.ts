// The reasoning policy: a small network that "writes" five tokens, the four cue claims (each
// may be "none") and then the emotion, the last conditioned on the features and on the claims
// it made. Parameters live in one Float64Array so the optimiser and checkpoints see a vector.
//
//   h = tanh(W1·x + b1)                                   (trunk, all features)
//   claim k:  g_k = tanh(C_k·x[S_k] + c_k)                  (cue perception on the cue's own features)
//             z_k = W_k·[g_k; x[S_k]] + b_k                 (vocabulary CLAIM_VALUES[cue k])
//   emotion:  z_e = W_e·[h; onehot(claims)] + b_e
// Claims see only the features of their cue (S_k: F0 statistics and gender for pitch, level
// statistics for energy, ...), so they follow the measurement instead of whatever else
// correlates with it in a small training set.
import { CLAIM_ONEHOT, TOKEN_SIZES, TOKENS } from './vocab.js';

/** What initialisation and sampling need from a random source (the trainer's seeded Rng, src/train/rng.ts). */
export interface RandomSource {
  normal(): number;
  categorical(p: ArrayLike<number>): number;
}

export interface PolicyShape {
  inputs: number;
  hidden: number;
  /** Hidden units of each cue's perception layer. */
  cueHidden: number;
  /** Feature indices each claim head reads (one list per cue, in CUES order). */
  cueFeatures: number[][];
}

/** One linear block of the parameter vector: weight matrix [rows × cols] row-major, then bias. */
export interface PolicyBlock {
  w: number; // offset of the weight matrix [rows × cols]
  b: number; // offset of the bias [rows]
  rows: number;
  cols: number;
}

/**
 * The parameter vector's blocks in order: trunk, then per cue its perception layer and claim
 * head, then the emotion head. Shared with the ONNX export (policy-onnx.ts).
 */
export function policyLayout(shape: PolicyShape): { blocks: PolicyBlock[]; size: number } {
  const blocks: PolicyBlock[] = [];
  let o = 0;
  const add = (rows: number, cols: number) => {
    blocks.push({ w: o, b: o + rows * cols, rows, cols });
    o += rows * cols + rows;
  };
  add(shape.hidden, shape.inputs); // 0: trunk
  for (let k = 0; k < TOKENS - 1; k++) {
    const f = shape.cueFeatures[k].length;
    add(shape.cueHidden, f); // 1 + 2k: cue perception
    add(TOKEN_SIZES[k], shape.cueHidden + f); // 2 + 2k: claim head
  }
  add(TOKEN_SIZES[TOKENS - 1], shape.hidden + CLAIM_ONEHOT); // last: emotion head
  return { blocks, size: o };
}

/** log-softmax of z into out; returns the softmax probabilities too. */
function logSoftmax(z: Float64Array): { logp: Float64Array; p: Float64Array } {
  let m = -Infinity;
  for (const v of z) m = Math.max(m, v);
  let s = 0;
  for (const v of z) s += Math.exp(v - m);
  const lz = m + Math.log(s);
  const logp = z.map((v) => v - lz);
  return { logp, p: logp.map(Math.exp) };
}

export interface Response {
  /** Token indices: four claims, then the emotion. */
  tokens: Int32Array;
  /** log-prob of each chosen token under the policy that produced it. */
  logp: Float64Array;
  /** Emotion probabilities given the chosen claims. */
  emotionProbs: Float64Array;
}

export class Policy {
  readonly shape: PolicyShape;
  readonly params: Float64Array;
  readonly #blocks: PolicyBlock[];

  constructor(shape: PolicyShape, params?: Float64Array) {
    if (shape.cueFeatures.length !== TOKENS - 1) throw new Error('cueFeatures needs one index list per cue');
    const { blocks, size } = policyLayout(shape);
    this.shape = { ...shape, cueFeatures: shape.cueFeatures.map((a) => [...a]) };
    this.#blocks = blocks;
    if (params && params.length !== size) throw new Error(`policy parameters: expected ${size}, got ${params.length}`);
    this.params = params ?? new Float64Array(size);
  }

  static create(shape: PolicyShape, rng: RandomSource): Policy {
    const p = new Policy(shape);
    for (const b of p.#blocks) {
      const scale = Math.sqrt(1 / b.cols);
      for (let i = 0; i < b.rows * b.cols; i++) p.params[b.w + i] = rng.normal() * scale;
    }
    return p;
  }

  clone(): Policy {
    return new Policy(this.shape, Float64Array.from(this.params));
  }

  get size(): number {
    return this.params.length;
  }

  #affine(b: PolicyBlock, input: ArrayLike<number>, cols = b.cols): Float64Array {
    const out = new Float64Array(b.rows);
    const P = this.params;
    for (let r = 0; r < b.rows; r++) {
      let s = P[b.b + r];
      const row = b.w + r * b.cols;
      for (let c = 0; c < cols; c++) s += P[row + c] * input[c];
      out[r] = s;
    }
    return out;
  }

  hidden(x: Float64Array): Float64Array {
    return this.#affine(this.#blocks[0], x).map(Math.tanh);
  }

  #emotionBlock(): PolicyBlock {
    return this.#blocks[this.#blocks.length - 1];
  }

  /** Emotion head input: [h; one-hot of the four claims]. */
  #emotionInput(h: Float64Array, claims: ArrayLike<number>): Float64Array {
    const u = new Float64Array(h.length + CLAIM_ONEHOT);
    u.set(h);
    let o = h.length;
    for (let k = 0; k < TOKENS - 1; k++) {
      u[o + claims[k]] = 1;
      o += TOKEN_SIZES[k];
    }
    return u;
  }

  /** Claim k's perception: its feature slice, the hidden layer on it, and the head input. */
  #claimParts(k: number, x: Float64Array): { xs: Float64Array; g: Float64Array; input: Float64Array } {
    const idx = this.shape.cueFeatures[k];
    const xs = Float64Array.from(idx, (j) => x[j]);
    const g = this.#affine(this.#blocks[1 + 2 * k], xs).map(Math.tanh);
    const input = new Float64Array(g.length + xs.length);
    input.set(g);
    input.set(xs, g.length);
    return { xs, g, input };
  }

  /** Logits of claim t (its head reads only x). */
  #claimLogits(t: number, x: Float64Array): Float64Array {
    return this.#affine(this.#blocks[2 + 2 * t], this.#claimParts(t, x).input);
  }

  /** Logits of the emotion given the trunk's h and the four claims. */
  #emotionLogits(h: Float64Array, claims: ArrayLike<number>): Float64Array {
    return this.#affine(this.#emotionBlock(), this.#emotionInput(h, claims));
  }

  /**
   * Generates a response. `choose` picks each token from its probabilities: sampling (with an
   * Rng) or greedy. `force` fixes some tokens (teacher forcing), -1 = choose.
   */
  generate(x: Float64Array, choose: (p: Float64Array) => number, force?: ArrayLike<number>): Response {
    const h = this.hidden(x);
    const tokens = new Int32Array(TOKENS);
    const logp = new Float64Array(TOKENS);
    let emotionProbs: Float64Array = new Float64Array(0);
    for (let t = 0; t < TOKENS; t++) {
      const z = t < TOKENS - 1 ? this.#claimLogits(t, x) : this.#emotionLogits(h, tokens);
      const { logp: lp, p } = logSoftmax(z);
      const forced = force ? force[t] : -1;
      tokens[t] = forced >= 0 ? forced : choose(p);
      logp[t] = lp[tokens[t]];
      if (t === TOKENS - 1) emotionProbs = p;
    }
    return { tokens, logp, emotionProbs };
  }

  /** The four claim distributions for x (each claim head reads only x, not the other tokens). */
  claimProbs(x: Float64Array): Float64Array[] {
    return Array.from({ length: TOKENS - 1 }, (_, t) => logSoftmax(this.#claimLogits(t, x)).p);
  }

  /** The emotion distribution for x given the four claims (as generate computes it after them). */
  emotionProbsGiven(x: Float64Array, claims: ArrayLike<number>): Float64Array {
    return logSoftmax(this.#emotionLogits(this.hidden(x), claims)).p;
  }

  sample(x: Float64Array, rng: RandomSource): Response {
    return this.generate(x, (p) => rng.categorical(p));
  }

  greedy(x: Float64Array): Response {
    return this.generate(x, (p) => p.reduce((best, v, i) => (v > p[best] ? i : best), 0));
  }

  /** log-probs of given tokens (for the old/reference policies of a batch). */
  logProbs(x: Float64Array, tokens: Int32Array): Float64Array {
    return this.generate(x, () => 0, tokens).logp;
  }

  /**
   * Adds ∂loss/∂params into `grad` for one response, given ∂loss/∂logp of each token
   * (the token loss kernel's gradient). Through log-softmax: ∂logp_a/∂z = onehot(a) − softmax(z).
   */
  backward(x: Float64Array, tokens: Int32Array, gLogp: ArrayLike<number>, grad: Float64Array): void {
    const P = this.params;
    // Dense layer backward: accumulates weight/bias gradients, returns ∂/∂input (first `keep` entries).
    const dense = (b: PolicyBlock, input: Float64Array, dz: Float64Array, keep: number): Float64Array => {
      const din = new Float64Array(keep);
      for (let r = 0; r < b.rows; r++) {
        const d = dz[r];
        if (d === 0) continue;
        const row = b.w + r * b.cols;
        for (let c = 0; c < b.cols; c++) grad[row + c] += d * input[c];
        grad[b.b + r] += d;
        for (let c = 0; c < keep; c++) din[c] += d * P[row + c];
      }
      return din;
    };
    const softmaxGrad = (z: Float64Array, a: number, g: number) => {
      const { p } = logSoftmax(z);
      return p.map((v, r) => g * ((r === a ? 1 : 0) - v));
    };
    for (let k = 0; k < TOKENS - 1; k++) {
      if (gLogp[k] === 0) continue;
      const { xs, g, input } = this.#claimParts(k, x);
      const head = this.#blocks[2 + 2 * k];
      const dg = dense(head, input, softmaxGrad(this.#affine(head, input), tokens[k], gLogp[k]), g.length);
      dense(this.#blocks[1 + 2 * k], xs, dg.map((v, i) => v * (1 - g[i] * g[i])), 0);
    }
    const e = TOKENS - 1;
    if (gLogp[e] !== 0) {
      const h = this.hidden(x);
      const input = this.#emotionInput(h, tokens);
      const eb = this.#emotionBlock();
      const dh = dense(eb, input, softmaxGrad(this.#affine(eb, input), tokens[e], gLogp[e]), h.length);
      dense(this.#blocks[0], x, dh.map((v, i) => v * (1 - h[i] * h[i])), 0);
    }
  }
}
