// Absolute levels read relative to the speaker (issue #16, speaker sessions). A single clip's
// features leave the recording level out (feature set 5: the gain knob decided the answer), but
// within one speaker heard over one channel the gain is shared by every utterance, so "louder
// than this speaker's usual" is gain-invariant and is what per-speaker normalisation of SER had
// read from the absolute levels before they left the vector (the session's accuracy on the
// validation speakers fell with them). A session model reads each of these levels as a z-score
// within the speaker. The one definition of the names, the value a clip gives, the z-score and
// the population spread it is shrunk toward; training (src/train/corpus.ts, augment-corpus.ts)
// and the session (src/speaker-session.ts) both use it.
import type { UtteranceFeatures } from './featurize.js';

/**
 * The levels (prosody functionals, dB): the mean, median and loud end of the frame intensity and
 * RMS level. The quiet percentiles are left out: in a noisy or 16-bit-quantised channel they read
 * the noise floor rather than the voice.
 */
export const SPEAKER_LEVEL_FEATURES = ['intensityMeanDb', 'intensityP50Db', 'intensityP95Db', 'rmsMeanDbfs', 'rmsP50Dbfs', 'rmsP95Dbfs'] as const;

/** |z| beyond which a level z-score is clamped (as standardize clamps the features). */
const MAX_Z = 6;

/** A clip's values of the named levels (null where the clip has none). */
export function speakerLevelValues(f: Pick<UtteranceFeatures, 'functionals'>, names: readonly string[]): (number | null)[] {
  return names.map((k) => {
    const v = f.functionals[k];
    return v === null || v === undefined || !Number.isFinite(v) ? null : v;
  });
}

/** Running sums of one level over a speaker's utterances. */
export interface LevelSums {
  n: number;
  sum: number;
  sumSq: number;
}

/**
 * The z-score of `v` within the speaker: against the speaker's mean and a spread shrunk toward
 * `populationSd` (the typical within-speaker sd) with the weight of `priorStrength` utterances.
 * The mean is not shrunk toward a population value, which would bring the recording gain back:
 * with one utterance known the z-score is 0 (nothing is known about this speaker's usual level).
 * 0 where the clip or the speaker has no value.
 */
export function speakerLevelZ(v: number | null, s: LevelSums, populationSd: number, priorStrength: number): number {
  if (v === null || s.n === 0) return 0;
  const m = s.sum / s.n;
  const variance = Math.max(0, s.sumSq / s.n - m * m);
  const sd = Math.sqrt((s.n * variance + priorStrength * populationSd * populationSd) / (s.n + priorStrength));
  if (!(sd > 1e-9)) return 0;
  return Math.max(-MAX_Z, Math.min(MAX_Z, (v - m) / sd));
}

/** Sums of one level over the clips of a group (nulls skipped). */
export function levelSums(values: (number | null)[]): LevelSums {
  const s = { n: 0, sum: 0, sumSq: 0 };
  for (const v of values) if (v !== null) s.n++, (s.sum += v), (s.sumSq += v * v);
  return s;
}

/** The indices of each group's members, in order of first appearance (a group: one speaker over one channel). */
export function indicesByGroup(group: readonly (number | string)[]): Map<number | string, number[]> {
  const byGroup = new Map<number | string, number[]>();
  group.forEach((g, i) => {
    const idx = byGroup.get(g);
    if (idx) idx.push(i);
    else byGroup.set(g, [i]);
  });
  return byGroup;
}

/**
 * The population's within-speaker sd of each level: the root of the within-group variances
 * pooled over the groups (each weighted by its clips). 1 dB where no group has two values.
 */
export function pooledWithinSd(levels: (number | null)[][], group: (number | string)[], count: number): number[] {
  const byGroup = indicesByGroup(group);
  const out: number[] = [];
  for (let j = 0; j < count; j++) {
    let ss = 0, n = 0;
    for (const idx of byGroup.values()) {
      const s = levelSums(idx.map((i) => levels[i][j]));
      if (s.n < 2) continue;
      const m = s.sum / s.n;
      ss += Math.max(0, s.sumSq - s.n * m * m);
      n += s.n;
    }
    const sd = n ? Math.sqrt(ss / n) : 0;
    out.push(sd > 1e-6 ? sd : 1);
  }
  return out;
}
