// The policy's output space: four cue claims (each may be "not_mentioned"), then the
// emotion. Order matters: it is the order of the generated tokens.
export const EMOTIONS = ['neutral', 'calm', 'happy', 'sad', 'angry', 'fearful', 'disgust', 'surprised'] as const;
export type Emotion = (typeof EMOTIONS)[number];

export const CUES = ['pitch', 'energy', 'speed', 'intonation'] as const;
export type Cue = (typeof CUES)[number];

/**
 * Claim values per cue; index 0 is always "not_mentioned". The one vocabulary of the package:
 * the policy's tokens, the judge, and the reward-model plug-in's claim one-hots all use it.
 */
export const CLAIM_VALUES = {
  pitch: ['not_mentioned', 'low', 'normal', 'high'],
  energy: ['not_mentioned', 'low', 'normal', 'high'],
  speed: ['not_mentioned', 'slow', 'normal', 'fast'],
  intonation: ['not_mentioned', 'flat', 'expressive', 'rising', 'falling', 'rising-falling', 'falling-rising', 'level'],
} as const satisfies Record<Cue, readonly string[]>;

/** Vocabulary size of each generated token, claims first, emotion last. */
export const TOKEN_SIZES: readonly number[] = [...CUES.map((c) => CLAIM_VALUES[c].length), EMOTIONS.length];
export const TOKENS = TOKEN_SIZES.length;
/** Width of the claims' one-hot block that conditions the emotion head. */
export const CLAIM_ONEHOT = CUES.reduce((s, c) => s + CLAIM_VALUES[c].length, 0);

/** What was measured for a clip: the level per cue, null where it could not be measured. */
export type MeasuredCues = Record<Cue, string | null>;

/** A cue is salient when its measured level is not the unremarkable one. */
export function isSalient(cue: Cue, level: string | null): boolean {
  if (level === null) return false;
  return cue === 'intonation' ? level !== 'level' : level !== 'normal';
}
