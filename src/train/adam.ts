// The trainer's optimiser (the policy's forward pass and gradient are in src/inference/policy.ts).
/** Adam with decoupled weight decay; state is plain arrays so checkpoints can hold it. */
export class Adam {
  m: Float64Array;
  v: Float64Array;
  t = 0;

  constructor(size: number, readonly options: { lr: number; beta1?: number; beta2?: number; eps?: number; weightDecay?: number }) {
    this.m = new Float64Array(size);
    this.v = new Float64Array(size);
  }

  step(params: Float64Array, grad: Float64Array, lr = this.options.lr): void {
    const b1 = this.options.beta1 ?? 0.9, b2 = this.options.beta2 ?? 0.999, eps = this.options.eps ?? 1e-8;
    const wd = this.options.weightDecay ?? 0;
    this.t++;
    const c1 = 1 - b1 ** this.t, c2 = 1 - b2 ** this.t;
    for (let i = 0; i < params.length; i++) {
      const g = grad[i];
      this.m[i] = b1 * this.m[i] + (1 - b1) * g;
      this.v[i] = b2 * this.v[i] + (1 - b2) * g * g;
      params[i] -= lr * ((this.m[i] / c1) / (Math.sqrt(this.v[i] / c2) + eps) + wd * params[i]);
    }
  }
}
