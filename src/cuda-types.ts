// Public types of the CUDA API (src/cuda.ts) that the addon hands back as they are, defined once
// for users; src/native.ts takes its raw types from them. Loads nothing.

/** An opaque reference to a device allocation, for the package's own calls into the addon. */
export type DeviceHandle = { readonly __deviceHandle: unique symbol };

/** Metrics of cudaTokenLoss and cudaLogitsLoss (the CPU calls report the same, see LossMetrics). */
export interface CudaLossMetrics {
  /** The loss value. */
  loss: number;
  /** Σ mask. */
  tokens: number;
  /** Share of masked tokens with A < 0 and ρ < 1 − clipLow (gradient clipped). */
  clipFracLow: number;
  /** Share with A > 0 and ρ > 1 + clipHigh. */
  clipFracHigh: number;
  /** Share with A < 0 where the dual clip −c·A binds. */
  clipFracDual: number;
  /** Masked mean of the KL estimator (0 when beta = 0). */
  klMean: number;
  /** Masked mean of ρ = exp(logp − oldLogp). */
  ratioMean: number;
  /** Masked mean entropy of the softmax (logits loss; 0 for the token loss). */
  entropyMean: number;
}
