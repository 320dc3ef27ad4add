// The English words and phrases claim extraction reads (src/verify/claims.ts). Each entry says
// what a word does: name a cue (noun), give a level that needs a noun (level), state a cue and a
// value by itself (desc), describe a pitch movement (move), negate (neg), end a clause (stop),
// start a comparison whose standard is not a claim (than), or name a cue this package cannot
// measure (unknown). Multi-word phrases are matched first, longest first.

/** `flatword`: "level", which only describes a contour ("energy level" is a noun). */
export type LevelDir = 'up' | 'down' | 'mid' | 'steady' | 'flatword';
/** The nouns a level word can attach to; `range` is the spread of the contour, `tone`/`voice` are weak pitch nouns. */
export type NounCue = 'pitch' | 'energy' | 'speed' | 'intonation' | 'range' | 'tone' | 'voice';

export type Lex =
  | { k: 'noun'; cue: NounCue }
  | { k: 'level'; dir: LevelDir; afterOnly?: boolean; only?: NounCue }
  | { k: 'desc'; cue: 'pitch' | 'energy' | 'speed' | 'intonation'; value: string }
  | { k: 'move'; dir: 'up' | 'down' }
  | { k: 'neg'; strong?: boolean; neither?: boolean; nor?: boolean; bare?: boolean }
  | { k: 'stop' }
  | { k: 'than'; dir?: 'up' | 'down' }
  | { k: 'middle' }
  | { k: 'ends' }
  | { k: 'starts' }
  | { k: 'atall' }
  | { k: 'unknown'; cue: string; value: string }
  | { k: 'noop' };

const L = new Map<string, Lex>();
const put = (words: string, lex: Lex) => {
  for (const w of words.split('|')) L.set(w, lex);
};

// Nouns.
put('pitch|f0|fundamental frequency|register|vocal register|pitch level|pitch height|frequency|voice pitch|vocal pitch', { k: 'noun', cue: 'pitch' });
put('energy|energy level|loudness|volume|intensity|vocal effort|effort|amplitude|projection|force|power|vocal energy|vocal intensity|loudness level|volume level|sound level', { k: 'noun', cue: 'energy' });
put('speaking rate|speech rate|articulation rate|rate of speech|speaking speed|speech tempo|rate|tempo|pace|pacing|speed|syllable rate|speaking pace|talking speed', { k: 'noun', cue: 'speed' });
put('intonation|contour|pitch contour|melody|inflection|inflections|pitch pattern|f0 contour|intonation contour|intonation pattern|melodic contour|prosodic contour|pitch trajectory|pitch curve', { k: 'noun', cue: 'intonation' });
put('pitch range|pitch variation|pitch variations|pitch variability|pitch movement|pitch movements|pitch modulation|pitch fluctuation|pitch fluctuations|pitch changes|pitch excursions|f0 range|f0 variation|variation|variations|variability|modulation|fluctuation|fluctuations|range|melodic range|melodic variation|intonational range|expressiveness|inflection range|pitch dynamics|pitch swings|swings|excursions|pitch excursion|f0 excursions|change|changes|pitch change|change in pitch|changes in pitch', { k: 'noun', cue: 'range' });
put('tone|tone of voice|vocal tone', { k: 'noun', cue: 'tone' });
put('voice|delivery|speaking style', { k: 'noun', cue: 'voice' });

// Levels that need a noun.
put('high|higher|highest|elevated|raised|heightened|increased|strong|stronger|great|greater|considerable|substantial|above-average|above average|above normal|on the high side|wide|wider|broad|large|big|intense|boosted|pronounced|marked|extreme|very high|exaggerated|heavy|raises|raising|boosts', { k: 'level', dir: 'up' });
put('low|lower|lowest|reduced|decreased|diminished|lowered|limited|minimal|narrow|narrower|small|below-average|below average|below normal|on the low side|restricted|compressed|modest|slight|lowers|lowering|reduces|reducing|restrained|held back|held-back|toned down|toned-down', { k: 'level', dir: 'down' });
put('normal|moderate|average|medium|typical|regular|ordinary|mid-range|midrange|middle|mid|conversational|unremarkable|standard|usual|within the normal range|in the normal range|neutral-level|balanced|comfortable|natural', { k: 'level', dir: 'mid' });
put('level', { k: 'level', dir: 'flatword' });
put('steady|even|stable|constant|consistent|unchanging|unvarying|uniform', { k: 'level', dir: 'steady' });
put('more|a lot of|lots of|plenty of|full of|much|a great deal of|a wealth of|rich', { k: 'level', dir: 'up', afterOnly: true });
// Levels that only describe one cue: a "relaxed pace" or a "measured delivery" is slow, but a
// "relaxed voice" says nothing about pitch; "good volume" is ample, a "good pitch" is no level.
put('relaxed|measured|deliberate|unrushed|easygoing|calm|steady-paced', { k: 'level', dir: 'down', only: 'speed' });
put('good|healthy|ample|solid|robust|full', { k: 'level', dir: 'up', only: 'energy' });
put('little|less|lack|lacks|lacking|lacked|not much|not a lot of|hardly any|devoid of|absence of|lack of|minimal amount of|very little|almost no|barely any', { k: 'level', dir: 'down', afterOnly: true });

// Self-contained descriptions.
const desc = (cue: 'pitch' | 'energy' | 'speed' | 'intonation', value: string, words: string) => put(words, { k: 'desc', cue, value });
desc('pitch', 'high', 'high-pitched|higher-pitched|highly pitched|shrill|squeaky|piercing|falsetto|high voice|high-register|high register|pitched up|upper register|sharp-pitched|thin high voice');
desc('pitch', 'low', 'low-pitched|lower-pitched|deep|deeper|deep-voiced|low register|lower register|low-register|bass|gravelly low|pitched down|deep voice');
desc('pitch', 'normal', 'mid-pitched|normally pitched|normal-pitched|moderately pitched|average-pitched');
desc('energy', 'high', 'loud|loudly|louder|loudest|shout|shouts|shouted|shouting|yell|yells|yelled|yelling|scream|screams|screamed|screaming|booming|blaring|bellowing|bellowed|forceful|forcefully|powerful|energetic|energetically|vigorous|vigorously|high-energy|full-throated|raised voice|emphatic|projected|project|projects|projecting|surges|surging|swells|swelling|booms|punchy|explosive');
desc('energy', 'low', 'quiet|quietly|quieter|quietest|soft|softly|softer|softest|hushed|whisper-like|whispery|whispered|whispering|murmur|murmured|murmuring|mumbled|mumbling|faint|faintly|subdued|muted|weak|weakly|gentle|gently|barely audible|low-energy|lethargic|feeble|low-volume|low volume voice|soft-spoken|understated|fades|fade|fading|fades away|dies down|dwindles|dwindling|drains|drains away|drained|whisper|whispers|murmurs|mumbles');
desc('energy', 'normal', 'moderately loud|normal loudness|comfortable volume|medium-energy|moderate-energy');
desc('speed', 'fast', 'fast|faster|fastest|quick|quickly|quicker|rapid|rapidly|rushed|rushing|hurried|hurriedly|brisk|briskly|racing|speedy|hasty|hastily|fast-paced|quick-paced|rapid-fire|in a hurry|in a rush|rush|rushes|rush out|rushes out|races|race|races through|picks up|speeds up|sped up|picks up speed|picks up the pace|accelerates|accelerated|accelerating|breathless|breakneck|tumbling out|clipped');
desc('speed', 'slow', 'slow|slowly|slower|slowest|sluggish|sluggishly|drawn-out|drawn out|dragging|drags|drawl|drawls|drawled|drawling|leisurely|unhurried|plodding|languid|languidly|slow-paced|slows down|slowing down|slowed down|decelerates|lingering|lingers|crawls|crawling|stretched out|elongated|protracted|ponderous|stretches out|stretching out|stretch out|draws out|drawing out|drew out|drags out|dragging out|dragged out|takes her time|takes his time|takes their time|taking her time|taking his time|taking their time');
desc('speed', 'normal', 'normal speed|normally paced|moderately paced|evenly paced|medium-paced|average-paced|conversational speed');
desc('intonation', 'flat', 'flat|flatter|monotone|monotonous|monotonic|monotonously|droning|robotic|flat-sounding|deadpan|unvaried|monotone-like|level intonation|level tone|level contour|level pitch|uninflected|little inflection|on one note|on a single note|on the same note|one-note|single-note|one note|a single note');
desc('intonation', 'expressive', 'expressive|expressively|animated|lively|varied|dynamic|melodic|sing-song|singsong|singsongy|exaggerated intonation|wide-ranging|highly inflected|musical|lilting|bouncy|swooping|variable|highly variable|varies|vary|varying|fluctuates|fluctuate|fluctuating|changes a lot|change much|changes much|changes constantly|colourful intonation|colorful intonation|jumps around|jumps about|jumping around|bounces around|bouncing around|moves around|all over the place|up and down|ups and downs|roller-coaster|rollercoaster|undulating|undulates|wavy');
desc('intonation', 'rising', 'question-like|questioning|uptalk|upspeak|upward inflection|upturn|ends on a rise|rising-pitch|rising-tone|interrogative');
desc('intonation', 'falling', 'downward inflection|downturn|ends on a fall|falling-pitch|falling-tone|declarative fall|declination|trailing down');
desc('intonation', 'rising-falling', 'rising-falling|rise-fall|rise-and-fall|rise and fall|up-down|up-and-down|arched|arching|arches|arch|arch-shaped|arc|arc-shaped|hat-shaped|hat pattern|peaks in the middle|peaking in the middle|peaked in the middle|inverted-u');
desc('intonation', 'falling-rising', 'falling-rising|fall-rise|fall-and-rise|fall and rise|down-up|down-and-up|dip-shaped|u-shaped|v-shaped|scooped|dips in the middle|dipping in the middle|dipped in the middle|sags in the middle|trough in the middle');

// Movements of the pitch (sequences make turns: up then down is rising-falling).
put('rise|rises|rising|rose|risen|climb|climbs|climbing|climbed|goes up|go up|going up|went up|gone up|moves up|moving up|lifts|lifting|lifted|ascends|ascending|ascended|upward|upwards|jumps up|shoots up|creeps up|back up|comes up|swings up|inflects up|inflects upward|heads up|goes back up|glides up|soars|soaring|soared|spikes|spiking|spiked|leaps|leaping|leapt|leaped|rockets', { k: 'move', dir: 'up' });
put('fall|falls|falling|fell|fallen|drop|drops|dropping|dropped|descend|descends|descending|descended|goes down|go down|going down|went down|comes down|come down|coming down|came down|moves down|moving down|sinks|sinking|sank|dips|dip|dipping|dipped|downward|downwards|declines|declining|declined|tapers off|tapers down|back down|slides down|glides down|plunges|plunge|plunging|plunged|plummets|plummet|plummeting|plummeted|slumps|slumping|sags|sagging|slopes down|sloping down|slopes downward|nosedives', { k: 'move', dir: 'down' });
put('in the middle|midway|halfway|mid-sentence|mid-utterance|in the centre|in the center|mid-phrase', { k: 'middle' });
put('ends|ending|ended|finishes|finishing|finished|toward the end|towards the end|at the end', { k: 'ends' });
put('starts|starting|started|begins|beginning|began|opens|at the start|at the beginning', { k: 'starts' });

// Negation, comparison, clause ends.
put('not|never|no|nor|neither|without|hardly|barely|scarcely|isn\'t|wasn\'t|aren\'t|weren\'t|doesn\'t|don\'t|didn\'t|cannot|can\'t|won\'t|nothing|rather than|instead of|lacks any|free of|absent', { k: 'neg' });
put('no|without|absent|nothing|free of', { k: 'neg', bare: true });
put('neither', { k: 'neg', neither: true });
put('nor', { k: 'neg', nor: true });
// "Not … at all" and its equivalents name the opposite; "anything but" is what a negated claim means.
put('anything but|far from|nowhere near', { k: 'neg' });
put('by no means|not at all|not remotely|not in the least|not the least bit|in no way|not even slightly', { k: 'neg', strong: true });
put('at all|whatsoever|in the slightest|in the least', { k: 'atall' });
put('but|while|whereas|although|though|yet|however|meanwhile|despite|even though|on the other hand|in contrast|contrasting with', { k: 'stop' });
put('above|beyond', { k: 'than', dir: 'up' });
put('below|under', { k: 'than', dir: 'down' });
put('than|compared to|compared with|relative to|in comparison to|in comparison with|as opposed to', { k: 'than' });
// Phrases that contain cue words but are not claims.
put('ends up|end up|ended up|set up|up to|level of|levels of|speak up|speaks up|spoke up|upset|calms down|calm down|broken down|down to|fall in love|a range of|range of emotions|wide range of emotions|high arousal|low arousal|high valence|low valence|high confidence|low confidence|high level of|low level of|rate of change|at a rate|first rate|high degree|low degree|energy of the emotion|emotional intensity|intensity of the emotion|intensity of emotion|pitch perfect|median|mean|tone of the message|overall tone|emotional tone|tone suggests|tone conveys|the tone of', { k: 'noop' });

// Cues mentioned in explanations that this package does not measure: listed, never verified.
const unknown = (cue: string, value: string, words: string) => put(words, { k: 'unknown', cue, value });
unknown('voice_quality', 'trembling', 'trembling|tremble|trembles|trembled|tremor|tremulous|tremolo');
unknown('voice_quality', 'shaky', 'shaky|shaking|shakes|shaken');
unknown('voice_quality', 'quivering', 'quivering|quiver|quivers|quavering|quaver|quavers');
unknown('voice_quality', 'wavering', 'wavering|wavers|wobbly|wobbling|unsteady');
unknown('voice_quality', 'breathy', 'breathy|breathiness|airy');
unknown('voice_quality', 'creaky', 'creaky|creak|creaking|vocal fry|glottal fry');
unknown('voice_quality', 'hoarse', 'hoarse|hoarseness|husky|raspy|rasp|rasping|gravelly|rough voice|roughness');
unknown('voice_quality', 'tense', 'tense|tension|tight|tightness|strained|strain|pressed|constricted|clenched');
unknown('voice_quality', 'harsh', 'harsh|harshness|grating|sharp-edged|biting');
unknown('voice_quality', 'nasal', 'nasal|nasality|twangy');
unknown('voice_quality', 'cracking', 'cracking|cracks|cracked|breaks|breaking voice|voice break|voice breaks');
unknown('voice_quality', 'choked', 'choked|choking|chokes|lump in the throat');
unknown('vocalization', 'crying', 'crying|cries|cried|sobbing|sobs|sob|tearful|weeping|sniffling');
unknown('vocalization', 'laughter', 'laughing|laughter|laughs|laugh|chuckle|chuckles|chuckling|giggle|giggles|giggling');
unknown('vocalization', 'sigh', 'sigh|sighs|sighing|sighed|exhale|exhales');
unknown('vocalization', 'gasp', 'gasp|gasps|gasping|gasped');
unknown('fluency', 'pauses', 'pause|pauses|paused|pausing|silences|gaps');
unknown('fluency', 'hesitation', 'hesitation|hesitations|hesitant|hesitantly|hesitates|hesitating|halting|faltering|falters');
unknown('fluency', 'stutter', 'stutter|stutters|stuttering|stammer|stammers|stammering');
unknown('stress', 'emphasis', 'emphasis|emphasizes|emphasises|emphasized|emphasised|emphasizing|emphasising|stressed|stresses|stressing|accented|accentuated');

export const LEXICON: ReadonlyMap<string, Lex> = L;
/** Longest phrase length in words. */
export const MAX_PHRASE = Math.max(...[...L.keys()].map((k) => k.split(' ').length));
/** Every proper word prefix of a phrase ("goes" of "goes up"), so matching can stop early. */
export const PHRASE_PREFIXES: ReadonlySet<string> = new Set(
  [...L.keys()].flatMap((k) => {
    const w = k.split(' ');
    return w.slice(1).map((_, i) => w.slice(0, i + 1).join(' '));
  }),
);
