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
export {
  extractF0,
  extractF0Sync,
  extractProsody,
  extractProsodyBatch,
  extractProsodySync,
  prosodyJsonReplacer,
  type BatchItem,
  type BatchOptions,
  type F0Result,
  type ProsodyFrames,
  type ProsodyInput,
  type ProsodyOptions,
  type ProsodyResult,
  type ProsodySegment,
} from './prosody.js';
export {
  assignLevels,
  calibrationSample,
  defaultCalibration,
  fitCalibration,
  loadCalibration,
  parseCalibration,
  prosodyCaption,
  prosodyRecord,
  saveCalibration,
  type Calibration,
  type CalibrationSample,
  type EmotionCotRecord,
  type FitOptions,
  type Gender,
  type Levels,
} from './prosody-calibration.js';
