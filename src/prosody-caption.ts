// The words for a clip's prosody: the one-sentence caption (for a prompt) and the
// EmotionCoT-compatible record, from the functionals, the intonation class and the levels
// (src/level-calibration.ts).
import { assignLevels } from './level-calibration.js';
import type { Calibration, EnergyLevel, Gender, Levels, PitchLevel, SpeedLevel } from './calibration-types.js';

export interface CaptionInput {
  functionals: Record<string, number | null>;
  intonation: { label: string };
  gender?: { value: Gender; source: 'metadata' | 'estimate' } | null;
  levels?: Levels | null;
  segments?: { pauses: unknown[] };
}

const INTONATION_WORDS: Record<string, string> = {
  flat: 'a flat intonation',
  expressive: 'a wide, expressive intonation',
  rising: 'a rising intonation',
  falling: 'a falling intonation',
  'rising-falling': 'a rising-falling intonation',
  'falling-rising': 'a falling-rising intonation',
  level: 'a level intonation',
  too_short: 'too little voicing to judge the intonation',
  uncertain: 'an intonation that cannot be judged reliably',
};

/** One sentence describing the clip's prosody, for use in a prompt. */
export function prosodyCaption(r: CaptionInput): string {
  const f = r.functionals;
  const who = r.gender ? `A ${r.gender.value}${r.gender.source === 'estimate' ? ' (estimated)' : ''} speaker` : 'The speaker';
  if (f.f0MedianHz === null && (f.syllableCount ?? 0) === 0) return `${who} produces no detectable voiced speech.`;
  const parts: string[] = [];
  const lv = r.levels;
  const pitch = lv?.pitch_level ? `${lv.pitch_level} pitch` : null;
  const hz = f.f0MedianHz !== null ? ` (median ${Math.round(f.f0MedianHz!)} Hz)` : '';
  if (pitch) parts.push(pitch + hz);
  else if (hz) parts.push(`a median pitch of ${Math.round(f.f0MedianHz!)} Hz`);
  if (lv?.energy_level) parts.push(`${lv.energy_level} energy`);
  if (lv?.speed_level) parts.push(`${lv.speed_level} speed`);
  else if (f.articulationRate !== null) parts.push(`${f.articulationRate!.toFixed(1)} syllables per second`);
  const list = parts.length > 1 ? parts.slice(0, -1).join(', ') + ' and ' + parts[parts.length - 1] : parts[0] ?? 'an unremarkable delivery';
  const pauses = r.segments?.pauses.length ?? f.pauseCount ?? 0;
  const pauseText = pauses ? `, with ${pauses} silent pause${pauses === 1 ? '' : 's'}` : '';
  return `${who} talks with ${list}, and ${INTONATION_WORDS[r.intonation.label] ?? `a ${r.intonation.label} intonation`}${pauseText}.`;
}

export interface EmotionCotRecord {
  audio_path: string;
  transcription?: string;
  emotion?: string;
  pitch_level: PitchLevel | null;
  energy_level: EnergyLevel | null;
  speed_level: SpeedLevel | null;
  intonation: string;
  gender: Gender | null;
  gender_source: 'metadata' | 'estimate' | null;
  stressed_words: string[];
  functionals: Record<string, number | null>;
  caption: string;
}

/** The EmotionCoT-compatible JSONL record of a clip (one JSON object per line). */
export function prosodyRecord(
  r: CaptionInput & { input: string },
  meta: { audioPath?: string; transcription?: string; emotion?: string; stressedWords?: string[]; calibration?: Calibration; corpus?: string } = {},
): EmotionCotRecord {
  const levels = r.levels ?? (meta.calibration ? assignLevels(r, meta.calibration, { corpus: meta.corpus }) : null);
  const rec: EmotionCotRecord = {
    audio_path: meta.audioPath ?? r.input,
    pitch_level: levels?.pitch_level ?? null,
    energy_level: levels?.energy_level ?? null,
    speed_level: levels?.speed_level ?? null,
    intonation: r.intonation.label,
    gender: r.gender?.value ?? null,
    gender_source: r.gender?.source ?? null,
    stressed_words: meta.stressedWords ?? [],
    functionals: r.functionals,
    caption: prosodyCaption({ ...r, levels }),
  };
  if (meta.transcription !== undefined) rec.transcription = meta.transcription;
  if (meta.emotion !== undefined) rec.emotion = meta.emotion;
  return rec;
}
