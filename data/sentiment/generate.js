#!/usr/bin/env node
/**
 * Generates the bundled sentiment data set (train/dev/test.tsv): short reviews
 * where the label depends on *where* a negation sits, e.g.
 *   "the movie my friend has not seen is good"   → positive
 *   "the movie my friend has seen is not good"   → negative
 * Half the sentences carry a negation inside a neutral relative clause, so the
 * same words appear in both classes: the showcase pair has the same bag of words
 * and opposite labels. The label is the adjective's polarity, flipped by a
 * negated verb (30% of sentences) and again by "i don't think ..." (10%).
 *
 * A bag-of-words model cannot solve it: unigram logistic regression reaches
 * about 63% on test (the adjective alone, right whenever nothing flips it),
 * bigrams about 66%; a (bi)LSTM reading the order reaches 99-100%. The first-order
 * signal of the adjective lets training leave chance level within an epoch or
 * two, then the model learns the negation's scope. 5,000 training sentences keep
 * the default configuration's run well under two minutes on two cores.
 *
 * Deterministic: `node data/sentiment/generate.js` rewrites the same files.
 */
const fs = require('fs');
const path = require('path');

let state = 20240601;
const rand = () => {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const pick = (xs) => xs[Math.floor(rand() * xs.length)];

const nouns = ['movie', 'film', 'show', 'book', 'album', 'restaurant', 'game', 'play', 'series', 'song', 'novel', 'cafe'];
const positive = ['good', 'great', 'wonderful', 'fun', 'moving', 'excellent', 'charming', 'brilliant', 'enjoyable', 'delightful', 'funny', 'lovely'];
const negative = ['bad', 'awful', 'boring', 'dull', 'terrible', 'bland', 'tedious', 'painful', 'weak', 'forgettable', 'silly', 'annoying'];
const adverbs = ['', '', 'really', 'very', 'truly', 'quite', 'so'];
// Relative clauses: [affirmative, negated]; their negation never changes the label.
const clauses = [
  ['my friend has seen', 'my friend has not seen'],
  ['that we watched yesterday', 'that we did not watch yesterday'],
  ['my sister recommended', 'my sister never recommended'],
  ['that is on tv tonight', 'that is not on tv tonight'],
  ['everyone talks about', 'nobody talks about'],
  ['i bought last week', "i didn't buy last week"],
  ['', ''],
];
const copulas = [['is', 'is not'], ['was', 'was not'], ['is', "isn't"], ['was', 'never was'], ['seems', 'does not seem']];

function sentence() {
  const noun = pick(nouns);
  const [clauseA, clauseN] = pick(clauses);
  const clause = rand() < 0.5 ? clauseA : clauseN;
  const [cop, copNeg] = pick(copulas);
  const negated = rand() < 0.3;
  const good = rand() < 0.5;
  const adj = pick(good ? positive : negative);
  const adv = pick(adverbs);
  const words = ['the', noun, clause, negated ? copNeg : cop, adv, adj].filter(Boolean).join(' ');
  if (rand() < 0.2) {
    // "i (don't) think the movie ... is good": the matrix negation flips the label.
    const doubt = rand() < 0.5;
    return { text: `i ${doubt ? "don't think" : 'think'} ${words}`, label: good !== negated !== doubt ? 'positive' : 'negative' };
  }
  return { text: words, label: good !== negated ? 'positive' : 'negative' };
}

const seen = new Set();
function split(n) {
  const out = [];
  while (out.length < n) {
    const s = sentence();
    if (seen.has(s.text)) continue;
    seen.add(s.text);
    out.push(s);
  }
  return out;
}
// Keep the two showcase sentences out of the data: they are asked after training.
seen.add('the movie my friend has not seen is good');
seen.add('the movie my friend has seen is not good');
for (const [name, n] of [['test', 400], ['dev', 400], ['train', 5000]]) {
  const rows = split(n).map((s) => `${s.label}\t${s.text}`);
  fs.writeFileSync(path.join(__dirname, `${name}.tsv`), ['label\ttext', ...rows].join('\n') + '\n');
}
