// The decoded-audio types, in a module of their own: audio.ts (WAV, resampling) and
// audio-wasm.ts (the WASM decoders that audio.ts calls) both return them, and audio-wasm.ts must
// not import audio.ts back.

export interface DecodedAudio {
  sampleRate: number;
  channels: number;
  /** Interleaved float32 samples: samples[frame * channels + channel], full scale ±1. */
  samples: Float32Array;
  /** Source encoding, e.g. "pcm_s16", "pcm_f32", "flac", "mp3", "vorbis". */
  encoding: string;
  /** Frames per channel. */
  frames: number;
  /** Seconds. */
  duration: number;
  /**
   * Present (true) when the file is shorter than it declares: a WAV whose data chunk runs past
   * the end of the file (a cut-off download or recording). What is there was decoded.
   */
  truncated?: true;
}

export interface WavInfo extends DecodedAudio {
  bitsPerSample: number;
  /** The data chunk's size was 0, 0xFFFFFFFF (a streaming writer's placeholder) or past the end of the file; the decoder read to the end. */
  dataSizeRepaired: boolean;
}
