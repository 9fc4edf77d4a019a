/**
 * A prior-polarity word lexicon: VADER's 7,500 English words, slang and emoticons
 * rated for valence in [−4, 4] (Hutto & Gilbert 2014), read from the
 * vader-sentiment npm package. Used to give sentiment words that are rare or
 * absent in the training data an informative starting embedding.
 */
import * as fs from 'fs';

let cached: Map<string, number> | null = null;

/** word → mean valence in [−4, 4]. */
export function vaderLexicon(): Map<string, number> {
  if (cached) return cached;
  const file = require.resolve('vader-sentiment/vader_lexicon.txt');
  const map = new Map<string, number>();
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const [word, valence] = line.split('\t');
    const v = Number(valence);
    if (word && Number.isFinite(v)) map.set(word.toLowerCase(), v);
  }
  cached = map;
  return map;
}
