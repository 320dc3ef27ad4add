// Public API of emotionthinker.
export { EmotionThinkerError, type ErrorCode } from './errors.js';
export { AbortError } from './abort.js';
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
export { AUDIO_LIMITS, type AudioLimits } from './audio-limits.js';
export { DEFAULT_MAX_DURATION_S } from './audio-limits.js';
export {
  groupAdvantages,
  groupAdvantagesAsync,
  ptrRewards,
  ProgressiveGate,
  tokenLoss,
  tokenLossAsync,
  logitsLoss,
  logitsLossAsync,
  toBf16,
  fromBf16,
  MAX_VOCAB,
  type AdvantageMode,
  type Groups,
  type GroupAdvantagesOptions,
  type GrpoAsyncOptions,
  type ProgressiveGateOptions,
  type ProgressiveGateState,
  type PtrRewardInputs,
  type PtrRewardOptions,
  type PtrRewardResult,
  type KlEstimator,
  type LossAggregation,
  type PolicyLossOptions,
  type TokenLossInputs,
  type TokenLossOptions,
  type TokenLossResult,
  type LossMetrics,
  type LogitsArray,
  type LogitsLossInputs,
  type LogitsLossOptions,
  type LogitsLossResult,
} from './grpo.js';
export {
  benchmarkProsodyCuda,
  extractF0,
  extractF0Sync,
  extractProsody,
  extractProsodyBatch,
  prosodyBackend,
  type ProsodyBackendChoice,
  extractProsodySync,
  prosodyJsonReplacer,
  resolveProsodyOptions,
  type BatchItem,
  type BatchOptions,
  type F0Result,
  type ProsodyFrames,
  type ProsodyInput,
  type ProsodyOptions,
  type ProsodyResult,
  type ProsodySegment,
  type ProsodyAnalysisOptions,
  type ProsodyIntonation,
  type ProsodyTiming,
} from './prosody.js';
export { ENERGY_OPTION_SPECS, F0_OPTION_SPECS, PROSODY_OPTION_SPECS, RESAMPLE_OPTION_SPECS, VOICE_OPTION_SPECS, optionHelp, type OptionSpec } from './option-specs.js';
export { ENERGY_SEGMENT_OPTION_SPECS, VAD_OPTION_SPECS } from './vad-options.js';
export {
  assignLevels,
  calibrationSample,
  defaultCalibration,
  fitCalibration,
  loadCalibration,
  parseCalibration,
  saveCalibration,
  type Calibration,
  type CalibrationSample,
  type FitOptions,
  type Gender,
  type Levels,
} from './level-calibration.js';
export { prosodyCaption, prosodyRecord, type EmotionCotRecord } from './prosody-caption.js';
export {
  DeviceBuffer,
  cudaBenchmark,
  cudaGroupAdvantages,
  cudaLogitsLoss,
  cudaPtrAdvantages,
  cudaTokenLoss,
  type CudaAdvantageOptions,
  type CudaLossOptions,
  type DeviceDType,
  type CudaLossMetrics,
  type DeviceHandle,
} from './cuda.js';
export {
  OnnxModel,
  type BatchOptions as OnnxBatchOptions,
  type Feeds,
  type OnnxModelOptions,
  type Outputs,
  type ScanRequest,
} from './onnx/model.js';
export type { Tensor, TensorArray, TensorData, TensorType, ValueInfo } from './onnx/types.js';
export {
  OnnxGraphBuilder,
  attr,
  evaluateMlp,
  exportMlp,
  type Activation,
  type Attribute,
  type BuildOptions,
  type LinearLayer,
  type MlpHead,
  type MlpInput,
  type MlpSpec,
} from './onnx/export.js';
export { readMetadataProps as readOnnxMetadata } from './onnx/proto.js';
export {
  SileroVad,
  VAD_SAMPLE_RATE,
  detectSpeech,
  detectSpeechBatch,
  disposeSharedVad,
  energySegments,
  segmentsFromProbabilities,
  sileroModelPath,
  type DetectSpeechOptions,
  type EnergySegmentation,
  type EnergySegmentOptions,
  type SileroVadOptions,
  type SpeechDetection,
  type SpeechSegment,
  type VadAudio,
} from './vad.js';
export {
  CLAIM_VOCABULARY,
  CLAIMS_SIZE,
  CUES,
  DEFAULT_EMOTIONS,
  METADATA_EMOTIONS,
  METADATA_FEATURES,
  OnnxRewardModel,
  SCORE_ORDER,
  encodeClaims,
  type Cue,
  type RewardItem,
  type RewardJudge,
  type RewardScores,
} from './reward-model.js';
export { spectralStats, spectralStatsAsync, voiceStats, voiceStatsAsync, type SpectralOptions, type SpectralStats, type VoiceOptions, type VoiceStats } from './features.js';
export { analyze, type AnalysisResult, type AnalyzeOptions, type ClaimEvidence, type UncertaintyReason, UNCERTAINTY_LIMITS } from './analyze.js';
export {
  createSpeakerSession, restoreSpeakerSession, analyzeSpeaker, SpeakerSession, DEFAULT_PRIOR_STRENGTH,
  type SpeakerSessionOptions, type SpeakerBatchOptions, type SpeakerBaseline, type CueBaseline, type SpeakerAnalysisResult, type SpeakerSessionJSON,
} from './speaker-session.js';
export { expectedCalibrationError } from './train/confidence.js';
export { train, trainAsync, TRAIN_MODES, type TrainOptions, type TrainResult, type TrainMode, type StepMetrics, type TrainData } from './train/trainer.js';
export { evaluatePolicy, type EvalResult } from './train/evaluate.js';
export { prepareRavdess, type PreparedCorpus } from './train/corpus.js';
export { loadRavdess, parseRavdessName, type Clip } from './train/ravdess.js';
export { defaultModel, loadModel, saveModel, modelFile, membersOf, type EmotionModel, type EmotionModelFile } from './inference/model.js';
export { decodeEnsemble, MAX_ENSEMBLE_MEMBERS } from './inference/ensemble.js';
export { trainEnsemble, memberSeed, DEFAULT_ENSEMBLE_MEMBERS, HELD_OUT_FOLDS, type EnsembleTrainOptions, type TrainedEnsemble } from './train/ensemble-train.js';
export { fitGenderClassifier, GENDER_FIT } from './train/gender-fit.js';
export { maleProbability, type GenderClassifier, type GenderEstimate } from './inference/gender.js';
export { judgeResponse, type JudgeScores, type Associations } from './inference/judge.js';
export { fitAssociations } from './train/associations.js';
export { renderResponse, parseResponse } from './inference/render.js';
export { EMOTIONS, CLAIM_VALUES } from './inference/vocab.js';
export { exportPolicyOnnx, writePolicyOnnx, policyOnnxFeeds, POLICY_ONNX_OUTPUTS, type PolicyOnnxOptions } from './train/policy-onnx.js';
export { verifyReasoning, measureAudio, MAX_RESPONSE_CHARS, type ReasoningVerification, type ReasoningScores, type VerifiedClaim, type VerifyOptions } from './verify/verify.js';
export { DEFAULT_ANSWER_VOCABULARY, mapAnswer, parseReasoningText, type AnswerVocabulary, type ParsedResponse } from './verify/answer.js';
export { extractClaims, type ExtractedClaim } from './verify/claims.js';
export type { CutPointSource, LevelCue, Measurement, ProsodyMeasurements, Verdict } from './verify/measure.js';
export { INTONATION_THRESHOLDS, type ContourMeasurement } from './verify/measure.js';
export type { IntonationThresholds } from './prosody-types.js';
export { auditRecords, auditTable, checkAuditRecord, summarizeAudit, AUDIT_CUES, type AuditOptions, type AuditRecord, type AuditRow, type ModelSummary } from './verify/audit.js';
export { auditHtml } from './verify/audit-html.js';
export { createRewardServer, type RewardServer } from './serve/lazy.js';
export { SERVE_DEFAULTS, type ServeOptions } from './serve/options.js';
export {
  createProsodyStream,
  ProsodyStream,
  type ProsodyStreamOptions,
  type StreamSession,
  type StreamEvent,
  type FrameEvent,
  type SpeechStartEvent,
  type SpeechEndEvent,
  type UtteranceEvent,
  type StreamErrorEvent,
  type PcmChunk,
} from './stream.js';
export { STREAM_OPTION_SPECS, STREAM_NATIVE_OPTION_SPECS } from './stream-options.js';
export { startListenServer, LISTEN_DEFAULTS, type ListenOptions, type ListenServer } from './listen.js';
