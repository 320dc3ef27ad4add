// Public API of emotionthinker.
export { EmotionThinkerError, type ErrorCode } from './errors.js';
export { backends, resolveBackend, type Backend, type BackendsInfo, type CudaBackendInfo } from './backend.js';
export {
  decodeWav,
  decodeWavAsync,
  loadAudio,
  mixToMono,
  resample,
  resampleAsync,
  sniffContainer,
  type AudioContainer,
  type DecodedAudio,
  type LoadAudioOptions,
  type ResampleOptions,
  type WavInfo,
} from './audio.js';
export { summarizeAudio, type AudioSummary } from './summary.js';
