// Plain JavaScript implementation of the GRPO formulas of docs/formulas.md#grpo-and-grpo-ptr (the same ones the native
// core computes), written the way a careful TypeScript user would: typed arrays, one pass per
// quantity, Math.exp, float64 arithmetic, no threads. The baseline of benchmarks/grpo-cpu.mjs.

/** Group advantages ('grpo' mode, unbiased std, eps outside the sqrt, NaN excluded, singleton zero). */
export function jsGroupAdvantages(rewards, groupSize, eps = 1e-6) {
  const n = rewards.length;
  const out = new Float64Array(n);
  for (let b = 0; b < n; b += groupSize) {
    const e = b + groupSize;
    let cnt = 0, sum = 0, mn = Infinity, mx = -Infinity;
    for (let i = b; i < e; i++) {
      const v = rewards[i];
      if (v !== v) continue;
      cnt++;
      sum += v;
      if (v < mn) mn = v;
      if (v > mx) mx = v;
    }
    if (cnt < 2 || mn === mx) continue; // zeros
    const mean = sum / cnt;
    let ss = 0;
    for (let i = b; i < e; i++) {
      const v = rewards[i];
      if (v === v) ss += (v - mean) * (v - mean);
    }
    const inv = 1 / (Math.sqrt(ss / (cnt - 1)) + eps);
    for (let i = b; i < e; i++) {
      const v = rewards[i];
      out[i] = v === v ? (v - mean) * inv : 0;
    }
  }
  return out;
}

// The per-token objective shared by both losses (docs/formulas.md#token-loss): clipped ratio term with dual clip
// and its gradient (l, g), and the k3 KL estimate and its derivative (k, dk). Written into one
// reused object so the hot loops allocate nothing.
const term = { l: 0, g: 0, k: 0, dk: 0 };
function tokenTerm(lp, old, ref, A, lo, hi, clipC) {
  let d = lp - old;
  const inRange = d > -20 && d < 20;
  d = d < -20 ? -20 : d > 20 ? 20 : d;
  const rho = Math.exp(d);
  const rc = rho < lo ? lo : rho > hi ? hi : rho;
  const l1 = -A * rho, l2 = -A * rc;
  let L1 = l1 > l2 ? l1 : l2;
  let g = (A > 0 ? rho <= hi : rho >= lo) && inRange ? l1 : 0;
  if (A < 0 && L1 > -clipC * A) {
    L1 = -clipC * A;
    g = 0;
  }
  let u = ref - lp;
  const uIn = u > -20 && u < 20;
  u = u < -20 ? -20 : u > 20 ? 20 : u;
  const eu = Math.exp(u);
  let k = eu - u - 1;
  const kIn = k < 10;
  if (k > 10) k = 10;
  term.l = L1;
  term.g = g;
  term.k = k;
  term.dk = uIn && kIn ? 1 - eu : 0;
}

/**
 * Token loss, padded [B, L], per-sequence advantages, float mask, token-mean aggregation,
 * clip (lo, hi), dual clip c, k3 KL with coefficient beta. Returns { loss, grad }.
 */
export function jsTokenLoss(logp, oldLogp, refLogp, adv, mask, B, L, { clipLow = 0.2, clipHigh = 0.2, clipC = 3, beta = 0.04 } = {}) {
  const n = B * L;
  const lo = 1 - clipLow, hi = 1 + clipHigh;
  let msum = 0;
  for (let i = 0; i < n; i++) msum += mask[i];
  const scale = 1 / Math.max(msum, 1);
  const grad = new Float32Array(n);
  let loss = 0;
  for (let b = 0; b < B; b++) {
    const A = adv[b];
    for (let t = b * L, e = t + L; t < e; t++) {
      tokenTerm(logp[t], oldLogp[t], refLogp[t], A, lo, hi, clipC);
      const w = mask[t] * scale;
      loss += w * (term.l + beta * term.k);
      grad[t] = w * (term.g + beta * term.dk);
    }
  }
  return { loss, grad };
}

/**
 * Logits loss, fp32 logits [N, V], per-token advantages, token-mean, temperature T:
 * log_softmax, entropy, the token term (as jsTokenLoss) and the gradient with respect to the logits.
 */
export function jsLogitsLoss(logits, labels, oldLogp, refLogp, adv, N, V, { temperature = 1, clipLow = 0.2, clipHigh = 0.2, clipC = 3, beta = 0.04 } = {}) {
  const lo = 1 - clipLow, hi = 1 + clipHigh, invT = 1 / temperature;
  const logp = new Float64Array(N), entropy = new Float64Array(N);
  const grad = new Float32Array(N * V);
  const scale = 1 / N;
  let loss = 0;
  for (let r = 0; r < N; r++) {
    const o = r * V;
    let m = -Infinity;
    for (let j = 0; j < V; j++) {
      const x = logits[o + j] * invT;
      if (x > m) m = x;
    }
    let s = 0, ts = 0;
    for (let j = 0; j < V; j++) {
      const d = logits[o + j] * invT - m;
      const e = Math.exp(d);
      s += e;
      ts += e * d;
    }
    const logS = Math.log(s);
    const lp = Math.min(0, logits[o + labels[r]] * invT - m - logS);
    logp[r] = lp;
    entropy[r] = logS - ts / s;
    tokenTerm(lp, oldLogp[r], refLogp[r], adv[r], lo, hi, clipC);
    loss += scale * (term.l + beta * term.k);
    const coef = (scale * (term.g + beta * term.dk)) * invT;
    const invS = 1 / s;
    for (let j = 0; j < V; j++) grad[o + j] = -coef * Math.exp(logits[o + j] * invT - m) * invS;
    grad[o + labels[r]] += coef;
  }
  return { loss, logp, entropy, grad };
}
