/**
 * A case-preserving English word tokenizer in the style of the Penn Treebank and
 * Universal Dependencies English (what the tagger's training data looks like):
 * punctuation marks become their own tokens, clitics split off ("don't" → do n't,
 * "John's" → John 's, "we'll" → we 'll), while numbers (3.5, 1,000), abbreviations
 * (U.S., Mr., e.g.), URLs, e-mail addresses and hyphenated words stay whole.
 */
const ABBREVIATIONS = new Set([
  'mr.', 'mrs.', 'ms.', 'dr.', 'prof.', 'sr.', 'jr.', 'st.', 'vs.', 'etc.', 'inc.', 'ltd.', 'co.', 'corp.', 'no.',
  'jan.', 'feb.', 'mar.', 'apr.', 'jun.', 'jul.', 'aug.', 'sep.', 'sept.', 'oct.', 'nov.', 'dec.', 'mt.', 'ft.', 'approx.',
]);
const WHOLE = /^(?:[a-z][a-z0-9+.-]*:\/\/\S+|www\.\S+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+|(?:\p{L}\.){2,}|[+-]?\d+(?:[.,:/]\d+)*)$/iu;
const LEADING = /^[("'`[{“‘«¿¡]/u;
const TRAILING = /[)"'\]}.,;:!?”’»…%]$/u;
const CLITIC = /^(.+?)(n't|'s|'re|'ve|'ll|'d|'m|’s|’re|’ve|’ll|’d|’m|n’t)$/iu;

function splitToken(tok: string, out: string[]): void {
  const tail: string[] = [];
  let t = tok;
  while (t.length > 1 && LEADING.test(t) && !WHOLE.test(t)) {
    out.push(t[0]);
    t = t.slice(1);
  }
  for (;;) {
    if (t.length <= 1 || WHOLE.test(t) || ABBREVIATIONS.has(t.toLowerCase())) break;
    if (t.endsWith('...')) {
      tail.unshift('...');
      t = t.slice(0, -3);
    } else if (TRAILING.test(t)) {
      tail.unshift(t[t.length - 1]);
      t = t.slice(0, -1);
    } else break;
  }
  if (t) {
    const m = CLITIC.exec(t);
    if (m && !WHOLE.test(t)) {
      // can't → ca n't, won't → wo n't (as the treebanks split them)
      out.push(m[1], m[2]);
    } else out.push(t);
  }
  out.push(...tail);
}

/** The tokens of one sentence (whitespace-separated text), case kept. */
export function tokenizeWords(text: string): string[] {
  const out: string[] = [];
  for (const tok of text.trim().split(/\s+/).filter(Boolean)) splitToken(tok, out);
  return out;
}
