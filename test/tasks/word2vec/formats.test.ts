/**
 * Word-vector files: .vec ↔ .bin round trip is exact (float32 bits), GloVe text
 * and gzip are read, gensim's load_word2vec_format reads our files with the same
 * cosines (within 1e-6; skipped with the reason when gensim cannot be imported),
 * and malformed files fail with one line naming the file and line.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { decodeVectors, encodeBin, encodeVec, float32ToString, readVectors, writeVectors } from '../../../src/embeddings/formats';
import { WordVectors } from '../../../src/embeddings/word_vectors';
import { UserError } from '../../../src/errors';

const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-w2v-fmt-'));

function randomVectors(V: number, D: number, seed = 3): WordVectors {
  let s = seed;
  const rnd = (): number => ((s = (s * 16807) % 2147483647) / 2147483647 - 0.5) * Math.pow(10, (s % 7) - 3);
  const words = Array.from({ length: V }, (_, i) => (i === 3 ? 'naïve' : i === 4 ? 'well-made' : `w${i}`));
  return new WordVectors(words, D, Float32Array.from({ length: V * D }, rnd));
}

const bits = (a: Float32Array): Uint32Array => new Uint32Array(a.buffer, a.byteOffset, a.length);

test('float32ToString gives the shortest decimal that reads back to the same float32', () => {
  for (const x of [0.1, 1 / 3, 1e-7, -123.456, 3.4e38, 1.17549435e-38].map(Math.fround)) {
    const s = float32ToString(x);
    expect(Math.fround(Number(s))).toBe(x);
    expect(s.replace(/^-|\.|e.*$/g, '').replace(/^0+/, '').length).toBeLessThanOrEqual(9);
  }
  expect(float32ToString(Math.fround(0.5))).toBe('0.5');
});

test('.vec → .bin → .vec is exact, gzipped or not, and GloVe text reads the same numbers', () => {
  const wv = randomVectors(40, 7);
  const d = tmp();
  writeVectors(path.join(d, 'a.vec'), wv);
  const a = readVectors(path.join(d, 'a.vec'));
  expect(a.words).toEqual(wv.words);
  expect(bits(a.data)).toEqual(bits(wv.data));
  writeVectors(path.join(d, 'b.bin'), a);
  const b = readVectors(path.join(d, 'b.bin'));
  expect(b.words).toEqual(wv.words);
  expect(bits(b.data)).toEqual(bits(wv.data));
  writeVectors(path.join(d, 'c.vec'), b);
  expect(fs.readFileSync(path.join(d, 'c.vec'))).toEqual(fs.readFileSync(path.join(d, 'a.vec')));
  writeVectors(path.join(d, 'd.bin.gz'), wv);
  expect(bits(readVectors(path.join(d, 'd.bin.gz')).data)).toEqual(bits(wv.data));
  writeVectors(path.join(d, 'glove.txt'), wv);
  const g = readVectors(path.join(d, 'glove.txt'));
  expect(g.dim).toBe(7);
  expect(bits(g.data)).toEqual(bits(wv.data));
  expect(readVectors(path.join(d, 'a.vec'), { limit: 5 }).words).toEqual(wv.words.slice(0, 5));
});

const fail = (bytes: Buffer | string, name = 'v.vec'): string => {
  try {
    decodeVectors(Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes), name);
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    expect((e as Error).message).not.toContain('\n');
    return (e as Error).message;
  }
  throw new Error('no error');
};

test('malformed files: one line naming the file and the line', () => {
  expect(fail('3 2\na 1 2\nb 1\nc 1 2\n')).toMatch(/^v\.vec:3: 1 values for "b", expected 2/);
  expect(fail('a 1 2\nb 1 2 3\n', 'g.txt')).toMatch(/^g\.txt:2: 3 values for "b", expected 2/);
  expect(fail('3 2\na 1 2\nb 1 2\n')).toMatch(/^v\.vec:\d+: the header announces 3 words, the file has 2/);
  expect(fail('2 2\na 1 x\nb 1 2\n')).toMatch(/^v\.vec:2: value 2 of "a" is not a number/);
  expect(fail(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]), 'x.png')).toMatch(/^x\.png:1: binary data/);
  expect(fail('')).toMatch(/^v\.vec: empty file/);
  expect(fail('hello\n')).toMatch(/^v\.vec:1: expected "word v1 … vD"/);
  const bin = encodeBin(randomVectors(3, 4));
  expect(fail(bin.subarray(0, bin.length - 9), 'v.bin')).toMatch(/^v\.bin: word 3 of 3 \("w2"\): the file ends inside its 4 floats/);
  expect(fail(zlib.gzipSync(Buffer.from('2 2\na 1 2\n')), 'v.vec.gz')).toMatch(/^v\.vec\.gz:\d+: the header announces 2 words/);
  expect(() => readVectors('/nonexistent/v.vec')).toThrow(/^\/nonexistent\/v\.vec: no such file$/);
});

const gensim = spawnSync('/usr/bin/python3', ['-c', 'import gensim'], { encoding: 'utf8' });
const gensimReason = gensim.status === 0 ? '' : (gensim.stderr || gensim.error?.message || 'python3 missing').trim().split('\n').pop();
const withGensim = gensim.status === 0 ? test : test.skip;
if (gensim.status !== 0) console.log(`gensim test skipped: /usr/bin/python3 cannot import gensim (${gensimReason})`);

withGensim('gensim load_word2vec_format reads our .vec and .bin with the same cosines (1e-6)', () => {
  const wv = randomVectors(30, 16);
  const d = tmp();
  writeVectors(path.join(d, 'v.vec'), wv);
  fs.writeFileSync(path.join(d, 'v.bin'), encodeBin(wv));
  const pairs = [[0, 1], [2, 3], [4, 29], [10, 11]].map(([i, j]) => [wv.words[i], wv.words[j]]);
  const py = [
    'import json, sys',
    'from gensim.models import KeyedVectors',
    'out = {}',
    `pairs = json.loads(sys.argv[1])`,
    `for name, binary in (('vec', False), ('bin', True)):`,
    `    kv = KeyedVectors.load_word2vec_format(sys.argv[2] + '/v.' + name, binary=binary)`,
    `    out[name] = {'n': len(kv.index_to_key), 'words': kv.index_to_key[:5], 'cos': [float(kv.similarity(a, b)) for a, b in pairs]}`,
    'print(json.dumps(out))',
  ].join('\n');
  const r = spawnSync('/usr/bin/python3', ['-c', py, JSON.stringify(pairs), d], { encoding: 'utf8' });
  expect(r.stderr).not.toMatch(/Error/);
  const out = JSON.parse(r.stdout);
  for (const f of ['vec', 'bin']) {
    expect(out[f].n).toBe(30);
    expect(out[f].words).toEqual(wv.words.slice(0, 5));
    pairs.forEach(([a, b], i) => expect(Math.abs(out[f].cos[i] - wv.similarity(a, b))).toBeLessThan(1e-6));
  }
  void encodeVec;
});
