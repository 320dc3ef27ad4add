// Prosodic claims in free English: which cue (pitch, energy, speed, intonation) an explanation
// says what about, with negation, hedges, comparatives, key-value styles and several claims per
// sentence. Rule-based and deterministic (no model to download): words are read through the
// lexicon (lexicon.ts); level words ("high", "reduced", "moderate") attach to the nearest cue
// noun of their clause; self-contained words ("shouted", "rushed", "monotone") state a cue by
// themselves; pitch movements in order make a contour ("goes up … comes down" → rising-falling).
import { LEXICON, MAX_PHRASE, PHRASE_PREFIXES, type Lex, type LevelDir, type NounCue } from './lexicon.js';

export type ClaimCue = 'pitch' | 'energy' | 'speed' | 'intonation';

export interface ExtractedClaim {
  /** pitch | energy | speed | intonation, or a cue the package cannot measure (voice_quality, vocalization, fluency, stress). */
  cue: string;
  value: string;
  /** "anything but `value`" (a negation that does not name the opposite). */
  negated: boolean;
  /** [start, end) character offsets in the text given. */
  span: [number, number];
  /** The sentence the claim is in. */
  sentence: string;
}

/** Opposites used when a negation is strong ("not loud at all" → low). */
const OPPOSITE: Record<string, string> = { high: 'low', low: 'high', fast: 'slow', slow: 'fast', flat: 'expressive', expressive: 'flat' };

interface Tok {
  w: string;
  start: number;
  end: number;
  lex: Lex | null;
  punct: boolean;
  /** Index of the sentence it is in. */
  s: number;
  /** Clause index (clauses end at sentence ends and at stop words). */
  c: number;
}

const FOLD = /[\u2018\u2019`\u2013\u2014]/g;

/** Same-length lower-casing and quote folding, so offsets in the copy are offsets in the text. */
function normalize(text: string): string {
  // Fast path: lower-casing never shortens a string, so an unchanged length means every character
  // kept its length (the usual case: English text).
  const lower = text.toLowerCase();
  if (lower.length === text.length) return lower.replace(FOLD, (ch) => (ch === '\u2013' || ch === '\u2014' ? '-' : "'"));
  let out = '';
  for (const ch of text) {
    let c = ch === '\u2019' || ch === '\u2018' || ch === '`' ? "'" : ch === '\u2013' || ch === '\u2014' ? '-' : ch.toLowerCase();
    if (c.length !== ch.length) c = ch; // a few letters change length when lower-cased: keep them
    out += c;
  }
  return out;
}

const isDigit = (c: number) => c >= 48 && c <= 57;
const WORD = /[a-z0-9]+(?:'[a-z]+)?(?:-[a-z0-9]+(?:'[a-z]+)?)*|[,:;|()\-/=>]|[.!?\n]+/g;
const SENTENCE_END = /^[.!?\n]+$/;

const BOTH_WAYS: Lex = { k: 'desc', cue: 'intonation', value: 'expressive' };

function tokenize(norm: string): Tok[] {
  const words: { w: string; start: number; end: number }[] = [];
  WORD.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = WORD.exec(norm))) {
    const w = m[0];
    // A decimal point or an abbreviation's dot inside a number is not a sentence end.
    if (w === '.' && isDigit(norm.charCodeAt(m.index - 1)) && isDigit(norm.charCodeAt(m.index + 1))) continue;
    // Hyphenated words the lexicon does not know are read as their parts ("fast-talking").
    if (w.length > 1 && w.includes('-') && !LEXICON.has(w)) {
      let off = m.index;
      for (const part of w.split('-')) {
        if (part) words.push({ w: part, start: off, end: off + part.length });
        off += part.length + 1;
      }
    } else words.push({ w, start: m.index, end: m.index + w.length });
  }
  const toks: Tok[] = [];
  let s = 0;
  let c = 0;
  for (let i = 0; i < words.length; ) {
    const t = words[i];
    const c0 = t.w.charCodeAt(0);
    const isWord = (c0 >= 97 && c0 <= 122) || (c0 >= 48 && c0 <= 57);
    if (!isWord && (SENTENCE_END.test(t.w) || t.w === ';')) {
      s++;
      c++;
      i++;
      continue;
    }
    if (!isWord) {
      toks.push({ w: t.w, start: t.start, end: t.end, lex: null, punct: true, s, c });
      i++;
      continue;
    }
    // Longest phrase: extend the key word by word while it is still the start of some phrase.
    let bestN = 0;
    let bestKey = '';
    let bestLex: Lex | null = null;
    let key = '';
    for (let n = 1; n <= MAX_PHRASE && i + n <= words.length; n++) {
      const w = words[i + n - 1].w;
      const cw = w.charCodeAt(0);
      if (!((cw >= 97 && cw <= 122) || (cw >= 48 && cw <= 57))) break;
      key = n === 1 ? w : key + ' ' + w;
      const lex = LEXICON.get(key);
      if (lex) {
        bestN = n;
        bestKey = key;
        bestLex = lex;
      }
      if (!PHRASE_PREFIXES.has(key)) break;
    }
    if (bestLex === null) {
      toks.push({ w: t.w, start: t.start, end: t.end, lex: null, punct: false, s, c });
      i++;
      continue;
    }
    // "swings up and down", "moves down and up": a movement both ways is variation, not one turn.
    if (bestLex.k === 'move' && / (up|down)$/.test(bestKey) && words[i + bestN]?.w === 'and' && words[i + bestN + 1]?.w === (bestKey.endsWith('up') ? 'down' : 'up')) {
      const n = bestN + 2;
      toks.push({ w: `${bestKey} and ${words[i + n - 1].w}`, start: t.start, end: words[i + n - 1].end, lex: BOTH_WAYS, punct: false, s, c });
      i += n;
      continue;
    }
    if (bestLex.k === 'stop') c++;
    else toks.push({ w: bestKey, start: t.start, end: words[i + bestN - 1].end, lex: bestLex, punct: false, s, c });
    i += bestN;
  }
  return toks;
}

interface Raw {
  cue: string;
  value: string;
  negated: boolean;
  strong: boolean;
  neither: boolean;
  nor: boolean;
  from: number;
  to: number;
  /** Token indices making the claim (for the span). */
  idx: number[];
}

const isValueTok = (t: Tok) => !!t.lex && (t.lex.k === 'level' || t.lex.k === 'desc' || t.lex.k === 'move' || t.lex.k === 'unknown');

/** The negation of the value at token i: the negator within 4 tokens before it in the clause, with no other value in between. */
function negationOf(toks: Tok[], i: number): { neg: boolean; strong: boolean; neither: boolean; nor: boolean; at: number } {
  const none = { neg: false, strong: false, neither: false, nor: false, at: i };
  for (let j = i - 1, words = 0; j >= 0 && words < 5; j--) {
    const t = toks[j];
    if (t.c !== toks[i].c) break;
    if (t.punct) {
      if (t.w === ',' || t.w === '(' || t.w === ')') break;
      continue;
    }
    words++;
    if (t.lex?.k === 'neg') {
      const strongAfter = toks.slice(i + 1, i + 4).some((u) => u.c === toks[i].c && u.lex?.k === 'atall');
      return { neg: true, strong: !!t.lex.strong || strongAfter, neither: !!t.lex.neither, nor: !!t.lex.nor, at: j };
    }
    if (isValueTok(t)) break;
  }
  return none;
}

function levelValue(noun: NounCue, dir: LevelDir, word = ''): { cue: ClaimCue; value: string } | null {
  if (dir === 'flatword') return noun === 'energy' || noun === 'speed' ? null : { cue: 'intonation', value: 'flat' };
  switch (noun) {
    case 'pitch':
      if (dir === 'steady') return { cue: 'intonation', value: 'flat' };
      return { cue: 'pitch', value: dir === 'up' ? 'high' : dir === 'down' ? 'low' : 'normal' };
    case 'energy':
      return { cue: 'energy', value: dir === 'up' ? 'high' : dir === 'down' ? 'low' : 'normal' };
    case 'speed':
      return { cue: 'speed', value: dir === 'up' ? 'fast' : dir === 'down' ? 'slow' : 'normal' };
    case 'range':
      return dir === 'up' ? { cue: 'intonation', value: 'expressive' } : dir === 'down' || dir === 'steady' ? { cue: 'intonation', value: 'flat' } : null;
    case 'intonation':
      return dir === 'steady' ? { cue: 'intonation', value: 'flat' } : null;
    case 'tone':
      return dir === 'steady' ? { cue: 'intonation', value: 'flat' } : dir === 'up' ? { cue: 'pitch', value: 'high' } : dir === 'down' ? { cue: 'pitch', value: 'low' } : null;
    case 'voice':
      // "a high voice" is pitch; "a strong / raised / weak voice" is effort.
      if (dir === 'steady') return { cue: 'intonation', value: 'flat' };
      if (dir !== 'up' && dir !== 'down') return null;
      if (/^(high|higher|highest|low|lower|lowest)$/.test(word)) return { cue: 'pitch', value: dir === 'up' ? 'high' : 'low' };
      return { cue: 'energy', value: dir === 'up' ? 'high' : 'low' };
  }
}

const COORD = new Set(['and', 'or', 'nor', 'neither', 'either', ',', 'as', 'well', 'both', 'the', 'its', 'his', 'her', 'their', 'speaker\'s', 'vocal', 'speaking', 'overall', 'also', 'plus', '/', '&']);

/** Nouns coordinated with the noun at j ("pitch and energy are high"), walking in direction d. */
function coordinated(toks: Tok[], j: number, d: -1 | 1): number[] {
  const out: number[] = [];
  let k = j + d;
  let sawJoin = false;
  while (k >= 0 && k < toks.length && toks[k].c === toks[j].c) {
    const t = toks[k];
    if (t.lex?.k === 'noun') {
      if (!sawJoin) break;
      out.push(k);
      sawJoin = false;
    } else if (COORD.has(t.w)) {
      // The join next to the first noun must be a word ("pitch and energy", "pitch, energy and
      // rate"); a bare comma there separates clauses ("in the voice, the pitch is high").
      if (t.w === ',' && out.length === 0) return out;
      if (t.w === 'and' || t.w === 'or' || t.w === 'nor' || t.w === ',' || t.w === '/' || t.w === '&' || t.w === 'plus' || t.w === 'well') sawJoin = true;
    } else break;
    k += d;
  }
  return out;
}

/** The noun(s) a level word at i describes, or [] when it has none in its clause. */
// Words that end a noun phrase: a level word before them does not describe a noun after them.
const PHRASE_BREAK = new Set(['and', 'or', 'the', 'a', 'an', 'is', 'are', 'was', 'were', 'be', 'been', 'being', 'in', 'on', 'of', 'with', 'to', 'for', 'at', 'by', 'from', 'that', 'which', 'as', 'it', 'its', 'this', 'while', 'so', 'sounds', 'seems', 'suggests', 'indicates', 'but', 'than']);

function nounsFor(toks: Tok[], i: number, afterOnly: boolean, skip: Set<number>): number[] {
  const c = toks[i].c;
  // After: "high pitch", "high vocal pitch", "a higher than usual pitch"; blocked by punctuation,
  // function words and other values.
  for (let j = i + 1, n = 0; j < toks.length && toks[j].c === c && n < 3; j++) {
    const t = toks[j];
    // "a high, thin voice": a comma between adjectives; not "Pitch: high, energy: low".
    // "a high and varied pitch", "a low, falling tone": coordinated adjectives before one noun.
    // "a low, slow and flat voice": a longer chain of such adjectives, each joined by a comma or a conjunction.
    if ((t.w === 'and' || t.w === 'or' || t.w === ',') && toks[j + 1] && isValueTok(toks[j + 1])) {
      let k = j;
      while (k + 2 < toks.length && toks[k + 2].c === c && (toks[k].w === 'and' || toks[k].w === 'or' || toks[k].w === ',') && isValueTok(toks[k + 1])) {
        if (toks[k + 2].lex?.k === 'noun') return [k + 2];
        k += 2;
        if (toks[k].w === ',' && toks[k + 1]?.w === 'and') k++;
      }
    }
    if (t.punct) {
      const next = toks[j + 1];
      if (t.w === ',' && next && next.c === c && !next.punct && !next.lex && !PHRASE_BREAK.has(next.w)) continue;
      break;
    }
    if (t.lex?.k === 'noun' && !skip.has(j)) return [j, ...coordinated(toks, j, 1)];
    if (t.lex?.k === 'than' || skip.has(j)) continue;
    // "low in pitch", "high in energy".
    if (t.w === 'in' && j === i + 1 && toks[j + 1]?.lex?.k === 'noun' && toks[j + 1].c === c) return [j + 1];
    if (isValueTok(t) || PHRASE_BREAK.has(t.w)) break;
    n++;
  }
  if (afterOnly) return [];
  // Before: "the pitch is quite high", "Pitch: high", "pitch and energy are both high".
  for (let j = i - 1, n = 0; j >= 0 && toks[j].c === c && n < 12; j--) {
    const t = toks[j];
    if (t.lex?.k === 'noun') return [j, ...coordinated(toks, j, -1)];
    if (t.w === '(' || t.w === ')') break;
    if (!t.punct) n++;
  }
  return [];
}

function push(out: Raw[], toks: Tok[], cue: string, value: string, idx: number[], valueTok: number) {
  const n = negationOf(toks, valueTok);
  const all = n.neg ? [...idx, n.at] : idx;
  const from = Math.min(...all.map((k) => toks[k].start));
  const to = Math.max(...all.map((k) => toks[k].end));
  out.push({ cue, value, negated: n.neg, strong: n.strong, neither: n.neither, nor: n.nor, from, to, idx: all });
}

/** Extracts claims from `text`, reading only [from, to) (the reasoning; the answer is masked by the caller). */
export function extractClaims(text: string, from = 0, to = text.length): ExtractedClaim[] {
  const norm = normalize(text);
  // Markup is blanked (same length) so offsets stay those of the text.
  const region = ' '.repeat(from) + norm.slice(from, to).replace(/<\/?\s*[a-z]+\s*>|[*_#`~]/g, (m) => ' '.repeat(m.length));
  const toks = tokenize(region);
  const raws: Raw[] = [];
  const used = new Set<number>();
  // Comparison standards ("than usual", "compared to normal speech") are not claims.
  toks.forEach((t, i) => {
    if (t.lex?.k !== 'than') return;
    for (let j = i + 1; j < toks.length && j <= i + 4 && toks[j].c === t.c && !toks[j].punct; j++) {
      if (toks[j].lex?.k === 'level' && ['mid', 'flatword', 'steady'].includes((toks[j].lex as { dir: LevelDir }).dir)) used.add(j);
      if (toks[j].lex?.k === 'noun') used.add(j);
    }
  });
  // "starts high": where the contour begins is not a level claim about the clip.
  toks.forEach((t, i) => {
    if (t.lex?.k === 'starts' && toks[i + 1]?.lex?.k === 'level' && toks[i + 1].c === t.c) used.add(i + 1);
  });
  // "ends high/low" is a movement at the end.
  const endMoves = new Map<number, 'up' | 'down'>();
  toks.forEach((t, i) => {
    if (t.lex?.k !== 'ends') return;
    for (let j = i + 1; j < Math.min(toks.length, i + 4) && toks[j].c === t.c; j++) {
      const l = toks[j].lex;
      if (l?.k === 'level' && (l.dir === 'up' || l.dir === 'down')) {
        endMoves.set(j, l.dir);
        break;
      }
    }
  });

  const level = (i: number, dir: LevelDir, afterOnly: boolean, only?: NounCue) => {
    let nouns = nounsFor(toks, i, afterOnly, used).filter((j) => !used.has(j));
    // "…, and it stays high": a pronoun subject names the cue noun last mentioned before it.
    if (nouns.length === 0 && !afterOnly) {
      const r = pronounNoun(toks, i);
      if (r !== null && !used.has(r)) nouns = [r];
    }
    for (const j of nouns) {
      // "the average pitch is high": a middle word before a noun that is given a level after it is a modifier.
      if (dir === 'mid' && j > i && toks.slice(j + 1, j + 5).some((u) => u.c === toks[i].c && u.lex?.k === 'level' && u.lex.dir !== 'mid')) continue;
      const v = levelValue((toks[j].lex as { cue: NounCue }).cue, dir, toks[i].w);
      if (v && (!only || v.cue === only)) push(raws, toks, v.cue, v.value, [i, j], i);
      // "the energy and the pitch sit in a typical range": a usual range of values, not a contour
      // spread; the level is that of the cue nouns the clause is about.
      else if (!v && dir === 'mid' && j > i && toks[j].w === 'range') {
        for (let k = i - 1, n = 0; k >= 0 && toks[k].c === toks[i].c && n < 12; k--, n++) {
          if (toks[k].lex?.k !== 'noun') continue;
          for (const q of [k, ...coordinated(toks, k, -1)]) {
            const w = levelValue((toks[q].lex as { cue: NounCue }).cue, 'mid');
            if (w && w.cue !== 'intonation') push(raws, toks, w.cue, w.value, [i, q], i);
          }
          break;
        }
      }
    }
    // Terse notes ("Flat and low.", "High and varied."): high/low with no cue noun in the clause is about pitch.
    if (nouns.length === 0 && !afterOnly && /^(high|low|higher|lower)$/.test(toks[i].w) && !toks.some((u) => u.c === toks[i].c && u.lex?.k === 'noun')) {
      push(raws, toks, 'pitch', dir === 'up' ? 'high' : 'low', [i], i);
    }
  };
  // Movements per clause, in order.
  const moves: { i: number; dir: 'up' | 'down'; c: number }[] = [];
  toks.forEach((t, i) => {
    if (used.has(i)) return;
    const l = t.lex;
    if (!l) return;
    if (endMoves.has(i)) {
      moves.push({ i, dir: endMoves.get(i)!, c: t.c });
      return;
    }
    switch (l.k) {
      case 'desc':
        push(raws, toks, l.cue, l.value, [i], i);
        break;
      case 'unknown':
        push(raws, toks, l.cue, l.value, [i], i);
        break;
      case 'move': {
        // A movement of energy or rate ("the volume drops") is not a contour.
        const owner = nearestNoun(toks, i);
        if (owner !== null && (toks[owner].lex as { cue: NounCue }).cue !== 'pitch' && ['energy', 'speed'].includes((toks[owner].lex as { cue: NounCue }).cue)) break;
        moves.push({ i, dir: l.dir, c: t.c });
        break;
      }
      case 'than':
        // "well above her normal range": a comparison that states a level of the noun before it.
        if (l.dir) level(i, l.dir, false);
        break;
      case 'level':
        level(i, l.dir, !!l.afterOnly, l.only);
        break;
      case 'neg':
        // "no energy", "without variation": a bare negator before a cue noun with no level of its own.
        if (l.bare) {
          const n = toks[i + 1]?.lex?.k === 'noun' ? i + 1 : toks[i + 2]?.lex?.k === 'noun' && !isValueTok(toks[i + 1]) ? i + 2 : -1;
          if (n > 0 && toks[n].c === t.c) {
            const cue = (toks[n].lex as { cue: NounCue }).cue;
            const v = cue === 'energy' ? { cue: 'energy', value: 'low' } : cue === 'range' ? { cue: 'intonation', value: 'flat' } : null;
            const valued = toks.slice(n + 1, n + 4).some((u) => u.c === t.c && u.lex?.k === 'level');
            if (v && !valued) raws.push({ cue: v.cue, value: v.value, negated: false, strong: false, neither: false, nor: false, from: t.start, to: toks[n].end, idx: [i, n] });
          }
        }
        break;
    }
  });
  // Movements → contour claims, one per clause.
  const byClause = new Map<number, typeof moves>();
  for (const m of moves) {
    const list = byClause.get(m.c);
    if (list) list.push(m);
    else byClause.set(m.c, [m]);
  }
  for (const ms of byClause.values()) {
    const negs = ms.map((m) => negationOf(toks, m.i));
    const pos = ms.filter((_, k) => !negs[k].neg);
    const span = (list: typeof ms, extra: number[] = []) => {
      const idx = [...list.map((m) => m.i), ...extra];
      return { from: Math.min(...idx.map((k) => toks[k].start)), to: Math.max(...idx.map((k) => toks[k].end)), idx };
    };
    if (pos.length) {
      const first = pos[0].dir;
      const turn = pos.find((m) => m.dir !== first);
      let value: string;
      if (turn) value = first === 'up' ? 'rising-falling' : 'falling-rising';
      else {
        const mid = toks.slice(pos[0].i + 1, pos[0].i + 4).some((u) => u.c === pos[0].c && u.lex?.k === 'middle');
        value = mid && pos.length === 1 ? (first === 'up' ? 'rising-falling' : 'falling-rising') : first === 'up' ? 'rising' : 'falling';
      }
      const sp = span(pos);
      raws.push({ cue: 'intonation', value, negated: false, strong: false, neither: false, nor: false, from: sp.from, to: sp.to, idx: sp.idx });
    }
    ms.forEach((m, k) => {
      if (!negs[k].neg) return;
      const sp = span([m], [negs[k].at]);
      raws.push({ cue: 'intonation', value: m.dir === 'up' ? 'rising' : 'falling', negated: true, strong: false, neither: false, nor: false, from: sp.from, to: sp.to, idx: sp.idx });
    });
  }
  // "neither loud nor soft" → normal; "not loud at all" → low.
  const out: Raw[] = [];
  for (let k = 0; k < raws.length; k++) {
    const r = raws[k];
    if (r.negated && r.neither) {
      const mate = raws.findIndex((q, q2) => q2 > k && q.nor && q.negated && q.cue === r.cue && OPPOSITE[q.value] === r.value);
      if (mate >= 0) {
        const q = raws[mate];
        out.push({ cue: r.cue, value: 'normal', negated: false, strong: r.strong, neither: r.neither, nor: r.nor, from: Math.min(r.from, q.from), to: Math.max(r.to, q.to), idx: r.idx });
        raws.splice(mate, 1);
        continue;
      }
    }
    if (r.negated && r.strong && OPPOSITE[r.value]) {
      out.push({ cue: r.cue, value: OPPOSITE[r.value], negated: false, strong: r.strong, neither: r.neither, nor: r.nor, from: r.from, to: r.to, idx: r.idx });
      continue;
    }
    out.push(r);
  }
  out.sort((a, b) => a.from - b.from);
  const sentences = sentenceBounds(region);
  const cleaned: (string | undefined)[] = [];
  return out.map((r) => {
    // Binary search: a long text has many sentences and many claims.
    let lo = 0;
    let hi = sentences.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (sentences[mid][0] <= r.from) lo = mid;
      else hi = mid - 1;
    }
    // Claims of one sentence share its cleaned text (made once).
    let sentence = sentences.length ? cleaned[lo] : undefined;
    if (sentence === undefined) {
      const s = sentences[lo] ?? [r.from, r.to];
      sentence = text.slice(s[0], s[1]).replace(/<\/?\s*[a-z]+\s*>|[*_#`]/gi, ' ').replace(/\s+/g, ' ').trim();
      if (sentences.length) cleaned[lo] = sentence;
    }
    return { cue: r.cue, value: r.value, negated: r.negated, span: [r.from, r.to], sentence };
  });
}

const PRONOUNS = new Set(['it', 'it\'s', 'this', 'that']);

/**
 * "The pitch climbs … and then falls away, and it stays high": a level word whose subject is a
 * pronoun (within the three words before it, in its clause) describes the last cue noun before the
 * pronoun in the same sentence or the one before. Null when there is no such pronoun or noun.
 */
function pronounNoun(toks: Tok[], i: number): number | null {
  let p = -1;
  for (let j = i - 1, n = 0; j >= 0 && toks[j].c === toks[i].c && n < 3; j--) {
    if (toks[j].punct) break;
    if (PRONOUNS.has(toks[j].w)) {
      p = j;
      break;
    }
    if (toks[j].lex) return null;
    n++;
  }
  if (p < 0) return null;
  for (let j = p - 1; j >= 0 && toks[j].s >= toks[p].s - 1; j--) {
    const l = toks[j].lex;
    if (l?.k === 'noun') return l.cue === 'tone' || l.cue === 'voice' || l.cue === 'range' ? null : j;
  }
  return null;
}

/** The noun nearest to token i in its clause (either side, within 5 tokens; ties go to the one before). */
function nearestNoun(toks: Tok[], i: number): number | null {
  // Not across a comma: "ends with a sharp drop, delivered at high volume".
  let back = true;
  let fwd = true;
  for (let d = 1; d <= 5; d++) {
    for (const [j, dir] of [[i - d, -1], [i + d, 1]] as const) {
      if (j < 0 || j >= toks.length || toks[j].c !== toks[i].c || (dir < 0 ? !back : !fwd)) continue;
      if (toks[j].w === ',' || toks[j].w === '(' || toks[j].w === ')') {
        if (dir < 0) back = false;
        else fwd = false;
        continue;
      }
      if (toks[j].lex?.k === 'noun') return j;
    }
  }
  return null;
}

/** [start, end) of each sentence (ends at . ! ? ; or a line break). */
function sentenceBounds(text: string): [number, number][] {
  const out: [number, number][] = [];
  const re = /[.!?;\n]+(?=\s|$)|\n/g;
  let start = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text))) {
    const end = m.index + m[0].length;
    if (end > start) out.push([start, end]);
    start = end;
  }
  if (start < text.length) out.push([start, text.length]);
  return out;
}
