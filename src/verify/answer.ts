// Tolerant parsing of a speech LLM's response (<think>…</think><answer>…</answer> and the ways
// real models get it slightly wrong) and the mapping of its answer onto an emotion label.
import { invalidArg } from '../errors.js';
import { EMOTIONS } from '../inference/vocab.js';

/** Emotion label → the answer forms that mean it (lower case, matched as whole words). */
export type AnswerVocabulary = Readonly<Record<string, readonly string[]>>;

/**
 * The default answer vocabulary: the package's eight labels (inference/vocab.ts) plus EmotionThinker's
 * upstream labels folded onto them ("contempt or disgust" → disgust), with confused and whisper kept
 * as labels of their own. The one place these forms are defined; pass `vocabulary` to replace it.
 */
export const DEFAULT_ANSWER_VOCABULARY: AnswerVocabulary = Object.freeze({
  neutral: ['neutral', 'neutrality', 'no emotion', 'emotionless', 'indifferent'],
  calm: ['calm', 'calmness', 'relaxed', 'serene', 'peaceful', 'tranquil'],
  happy: ['happy', 'happiness', 'joy', 'joyful', 'joyous', 'glad', 'cheerful', 'delighted', 'pleased', 'elated'],
  sad: ['sad', 'sadness', 'sorrow', 'sorrowful', 'unhappy', 'melancholy', 'melancholic', 'grief', 'depressed', 'upset'],
  angry: ['angry', 'anger', 'mad', 'furious', 'fury', 'rage', 'irritated', 'annoyed', 'annoyance', 'irritation'],
  fearful: ['fearful', 'fear', 'afraid', 'scared', 'frightened', 'terrified', 'anxious', 'anxiety', 'nervous', 'panic', 'panicked'],
  disgust: ['disgust', 'disgusted', 'disgusting', 'contempt', 'contemptuous', 'revulsion', 'repulsed', 'contempt or disgust', 'disgust or contempt'],
  surprised: ['surprised', 'surprise', 'astonished', 'astonishment', 'amazed', 'amazement', 'shocked', 'shock', 'startled'],
  confused: ['confused', 'confusion', 'puzzled', 'perplexed', 'bewildered'],
  whisper: ['whisper', 'whispering', 'whispered'],
});

/** The package's own labels (those the judge's cue–emotion associations cover). */
export const MODEL_LABELS: readonly string[] = EMOTIONS;

export interface ParsedResponse {
  /** The reasoning text (inside <think>, or everything outside the answer when there is no tag). */
  think: string;
  /** Offset of `think` in the original text. */
  thinkStart: number;
  /** The raw answer text, trimmed; null when no answer could be found. */
  answer: string | null;
  /** [start, end) of the answer region in the original text (masked out of claim extraction). */
  answerSpan: [number, number] | null;
  /** Exactly `<think>…</think><answer>…</answer>` (whitespace around allowed), nothing else. */
  strict: boolean;
  /** Structural faults found (for FS): e.g. "unclosed <think>", "no <answer> tag". */
  faults: string[];
}

const THINK_OPEN = /<\s*(think|thinking|reasoning|reason)\s*>/i;
const THINK_CLOSE = /<\s*\/\s*(think|thinking|reasoning|reason)\s*>/i;
const ANSWER_OPEN = /<\s*answer\s*>/i;
const ANSWER_CLOSE = /<\s*\/\s*answer\s*>/i;
const STRICT = /^\s*<think>[\s\S]*<\/think>\s*<answer>[^<]*<\/answer>\s*$/;
// "Answer: x", "**Answer:** x", "### Final answer\nx", "Emotion - x", "Predicted emotion: x".
// JSON-style output: {"pitch": "low", …, "emotion": "sad"}.
const ANSWER_KEY = /["'](?:final[ _]?answer|answer|emotion|label|prediction)["'][ \t]*:[ \t]*["']([^"'\n]*)["']/gi;
const ANSWER_LINE = /(?:^|\n|[.!?;][ \t]+)[ \t>#*_-]*(?:final\s+|predicted\s+|detected\s+)?(?:answer|emotion|label|prediction|classification)[ \t*_]*(?::|-|–|—|=|\n)[ \t*_]*([^\n]*)/gi;

function cleanAnswer(s: string): string {
  return s.replace(/[*_`#>]/g, ' ').replace(/\s+/g, ' ').trim();
}

/** Splits a response into reasoning and answer, tolerating missing or unclosed tags and Markdown. */
export function parseReasoningText(text: string): ParsedResponse {
  if (typeof text !== 'string') throw invalidArg(`text must be a string; got ${text === null ? 'null' : typeof text}`);
  const faults: string[] = [];
  const strict = STRICT.test(text);
  let answer: string | null = null;
  let answerSpan: [number, number] | null = null;
  const ao = ANSWER_OPEN.exec(text);
  if (ao) {
    const from = ao.index + ao[0].length;
    const ac = ANSWER_CLOSE.exec(text.slice(from));
    const to = ac ? from + ac.index : text.length;
    if (!ac) faults.push('unclosed <answer>');
    // An unclosed answer runs to the end of its line.
    const raw = ac ? text.slice(from, to) : text.slice(from).split('\n')[0];
    answer = cleanAnswer(raw) || null;
    answerSpan = [ao.index, ac ? to + ac[0].length : from + raw.length];
    if (ac && text.slice(to + ac[0].length).trim()) faults.push('text after </answer>');
  } else {
    faults.push('no <answer> tag');
    // The last "Answer: x" line wins: models often restate the question's options first.
    let m: RegExpExecArray | null;
    let last: RegExpExecArray | null = null;
    ANSWER_LINE.lastIndex = 0;
    while ((m = ANSWER_LINE.exec(text))) {
      if (cleanAnswer(m[1])) last = m;
      if (m[0].length === 0) ANSWER_LINE.lastIndex++;
    }
    if (!last) {
      ANSWER_KEY.lastIndex = 0;
      while ((m = ANSWER_KEY.exec(text))) if (cleanAnswer(m[1])) last = m;
    }
    if (last) {
      answer = cleanAnswer(last[1]);
      answerSpan = [last.index, last.index + last[0].length];
    }
  }
  const limit = answerSpan ? answerSpan[0] : text.length;
  let think: string;
  let thinkStart: number;
  const open = THINK_OPEN.exec(text);
  if (open && open.index < limit) {
    thinkStart = open.index + open[0].length;
    const close = THINK_CLOSE.exec(text.slice(thinkStart));
    const end = close && thinkStart + close.index <= limit ? thinkStart + close.index : limit;
    if (!close) faults.push('unclosed <think>');
    think = text.slice(thinkStart, end);
    // "<think>…</think> angry": a bare answer after the reasoning.
    if (answer === null && close) {
      const after = thinkStart + close.index + close[0].length;
      const line = /^\s*([^\n]+)/.exec(text.slice(after));
      if (line && cleanAnswer(line[1])) {
        answer = cleanAnswer(line[1]);
        answerSpan = [after, after + line[0].length];
      }
    }
  } else {
    faults.push('no <think> tag');
    thinkStart = 0;
    think = text.slice(0, limit);
    if (!think.trim() && answerSpan) {
      // Reasoning after the answer ("Answer: sad. The pitch is low …").
      thinkStart = answerSpan[1];
      think = text.slice(answerSpan[1]);
    }
  }
  if (!strict && faults.length === 0) faults.push('text outside the tags');
  return { think, thinkStart, answer, answerSpan, strict, faults };
}

/** Checks a vocabulary option (label → forms); returns it lower-cased. */
export function checkVocabulary(v: unknown): AnswerVocabulary {
  if (v === undefined) return DEFAULT_ANSWER_VOCABULARY;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw invalidArg('options.vocabulary must be an object mapping each label to an array of answer forms');
  const out: Record<string, string[]> = {};
  for (const [label, forms] of Object.entries(v)) {
    if (!Array.isArray(forms) || forms.some((f) => typeof f !== 'string' || !f.trim())) {
      throw invalidArg(`options.vocabulary.${label} must be an array of non-empty strings`);
    }
    out[label] = [label, ...forms].map((f) => f.toLowerCase().trim());
  }
  if (Object.keys(out).length === 0) throw invalidArg('options.vocabulary must name at least one label');
  return out;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const matchers = new WeakMap<AnswerVocabulary, { label: string; re: RegExp }[]>();

function compiled(vocab: AnswerVocabulary) {
  let m = matchers.get(vocab);
  if (!m) {
    m = Object.entries(vocab).map(([label, forms]) => ({
      label,
      // Longest forms first; whole words only ("mad" must not match "made").
      re: new RegExp(`(?<![a-z])(?:${[label, ...forms].sort((a, b) => b.length - a.length).map(escape).join('|')})(?![a-z])`, 'g'),
    }));
    matchers.set(vocab, m);
  }
  return m;
}

const NEGATED_BEFORE = /(?:\bnot|n't|\bno|\bnever|\brather than|\binstead of)\s+(?:\w+\s+){0,1}$/;

/**
 * Maps an answer onto a label: the label whose forms occur in it (whole words, case-insensitive,
 * negated mentions such as "not angry" ignored). Several different labels → null (ambiguous);
 * none → null. The raw answer is kept by the caller.
 */
export function mapAnswer(answer: string | null, vocab: AnswerVocabulary = DEFAULT_ANSWER_VOCABULARY): string | null {
  if (answer === null) return null;
  const a = answer.toLowerCase().slice(0, 2000);
  const found = new Map<string, number>();
  for (const { label, re } of compiled(vocab)) {
    re.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = re.exec(a))) {
      if (NEGATED_BEFORE.test(a.slice(Math.max(0, m.index - 24), m.index))) continue;
      if (!found.has(label)) found.set(label, m.index);
    }
  }
  return found.size === 1 ? [...found.keys()][0] : null;
}

/**
 * The reference emotion as a label of `vocab`: a label itself, or a form of exactly one label
 * ("Happy", "ANGER", "fear" → happy, angry, fearful). Anything else is ERR_INVALID_ARG naming the
 * value and the labels: a reference the vocabulary cannot name would score every answer wrong,
 * silently (the outcome term was 0 for "HAPPY").
 */
export function referenceLabel(emotion: string, vocab: AnswerVocabulary = DEFAULT_ANSWER_VOCABULARY): string {
  if (Object.prototype.hasOwnProperty.call(vocab, emotion)) return emotion;
  const label = mapAnswer(emotion, vocab);
  if (label !== null && emotion.trim().length <= 40) return label;
  throw invalidArg(`the reference emotion ${JSON.stringify(emotion.slice(0, 60))} is not one of the labels (${Object.keys(vocab).join(', ')}) or a form of one`);
}
