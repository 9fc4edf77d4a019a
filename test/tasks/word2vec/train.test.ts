/**
 * The word2vec hot loops and training: the WebAssembly SIMD kernel computes the
 * same updates as the JavaScript one (and both as loss.ts's formula), and a
 * run on a synthetic corpus of two topics learns that words which co-occur are
 * closer than words which never do, on one thread and on two; bad corpora fail
 * with one line naming the file.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { fillUnigramTable, KernelState, sigmoidTables, skipgramSentence } from '../../../tasks/word2vec/sgns';
import { instantiateKernel, wasmKernelAvailable } from '../../../tasks/word2vec/wasm_kernel';
import { negativeSamplingLoss } from '../../../tasks/word2vec/loss';
import { trainWord2Vec } from '../../../tasks/word2vec/train';
import { UserError } from '../../../src/errors';

const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-w2v-train-'));

test('the wasm SIMD kernel makes the same skip-gram updates as the JavaScript kernel', () => {
  expect(wasmKernelAvailable()).toBe(true);
  const V = 50;
  const D = 12;
  const neg = 5;
  const TN = 1024;
  const tabs = sigmoidTables();
  const table = new Int32Array(TN);
  fillUnigramTable(table, Array.from({ length: V }, (_, i) => 100 - i), 0.75, 3);
  const rb = D * 4;
  const o = { syn0: 0, syn1: V * rb, table: 2 * V * rb, sig: 2 * V * rb + TN * 4 };
  const nls = o.sig + 1001 * 4;
  const nlo = nls + 1001 * 4;
  const neu1e = nlo + 1001 * 4;
  const mem = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
  const f32 = new Float32Array(mem.buffer);
  const syn0 = Float32Array.from({ length: V * D }, (_, i) => Math.sin(i) * 0.5);
  const syn1 = Float32Array.from({ length: V * D }, (_, i) => Math.cos(i * 1.3) * 0.5);
  f32.set(syn0, o.syn0 / 4);
  f32.set(syn1, o.syn1 / 4);
  new Int32Array(mem.buffer).set(table, o.table / 4);
  f32.set(tabs.sig, o.sig / 4);
  f32.set(tabs.nlogSig, nls / 4);
  f32.set(tabs.nlogOneMinus, nlo / 4);
  const K = instantiateKernel(mem);
  K.setup(rb, neg, o.syn1, o.table, TN, 0, o.sig, nls, nlo, neu1e, neu1e + rb);
  // The first pair's loss is negative sampling's, computed directly.
  const u = syn0.slice(5 * D, 6 * D);
  const targets = [1, ...Array.from(table.subarray(0, neg))].filter((t, i) => i === 0 || t !== 1);
  const direct = negativeSamplingLoss(u, targets.map((t) => syn1.slice(t * D, (t + 1) * D)), targets.map((_, i) => (i === 0 ? 1 : 0)));
  const st: KernelState = { syn0, syn1, dim: D, window: 3, negative: neg, table, tablePos: 0, ...tabs, rng: 777, neu1: new Float32Array(D), neu1e: new Float32Array(D), loss: 0, lossCount: 0 };
  const sen = Int32Array.from([1, 5, 7, 2, 9, 30, 4, 4, 11, 0, 3]);
  for (let rep = 0; rep < 20; rep++) skipgramSentence(st, sen, sen.length, 0.1);
  let r = 777;
  let loss = 0;
  let first = NaN;
  for (let rep = 0; rep < 20; rep++) {
    for (let i = 0; i < sen.length; i++) {
      r ^= r << 13;
      r ^= r >>> 17;
      r ^= r << 5;
      const b = (r >>> 0) % 3;
      for (let c = Math.max(0, i - 3 + b); c <= Math.min(sen.length - 1, i + 3 - b); c++) {
        if (c === i) continue;
        const l = K.targets(o.syn0 + sen[c] * rb, sen[i], 0.1);
        if (Number.isNaN(first)) first = l;
        loss += l;
        K.add_neu1e(o.syn0 + sen[c] * rb);
      }
    }
  }
  // sen[0] = 1 is the first centre; its first context is sen[1] = 5 only when the window reaches it (always: b < 3).
  expect(Math.abs(first - direct)).toBeLessThan(0.05); // the kernels read a 1000-entry sigmoid table
  let maxDiff = 0;
  for (let i = 0; i < V * D; i++) maxDiff = Math.max(maxDiff, Math.abs(f32[o.syn0 / 4 + i] - syn0[i]), Math.abs(f32[o.syn1 / 4 + i] - syn1[i]));
  expect(maxDiff).toBeLessThan(1e-4);
  expect(maxDiff).toBeGreaterThan(0); // float summation order differs a little: the two really ran separately
  expect(Math.abs(loss - st.loss) / st.loss).toBeLessThan(1e-5);
  expect(K.pos()).toBe(st.tablePos);
});

/** Two topics that never share a line: animals and numbers. */
function twoTopics(): string {
  const A = ['cat', 'dog', 'cow', 'pig', 'hen', 'fox'];
  const B = ['one', 'two', 'six', 'ten', 'nine', 'four'];
  let s = 7;
  const pick = (xs: string[]): string => xs[(s = (s * 16807) % 2147483647) % xs.length];
  const lines: string[] = [];
  for (let i = 0; i < 1500; i++) {
    const xs = i % 2 ? A : B;
    lines.push(Array.from({ length: 10 }, () => pick(xs)).join(' '));
  }
  const f = path.join(tmp(), 'topics.txt');
  fs.writeFileSync(f, lines.join('\n') + '\n');
  return f;
}

const within = (wv: { similarity(a: string, b: string): number }, xs: string[], ys: string[]): number => {
  let s = 0;
  let n = 0;
  for (const x of xs) for (const y of ys) if (x !== y) (s += wv.similarity(x, y)), n++;
  return s / n;
};

test.each([
  ['skipgram', 'wasm', 1],
  ['cbow', 'wasm', 2],
  ['skipgram', 'js', 1],
] as const)('%s (%s kernel, %i thread(s)) learns that co-occurring words are closer', async (model, kernel, workers) => {
  const data = twoTopics();
  const out = tmp();
  const r = await trainWord2Vec({ data, out, model, kernel, workers, dim: 16, epochs: 3, minCount: 1, sample: 0, save: 'none', window: 3 });
  const A = ['cat', 'dog', 'cow', 'pig', 'hen', 'fox'];
  const B = ['one', 'two', 'six', 'ten', 'nine', 'four'];
  const same = (within(r.vectors, A, A) + within(r.vectors, B, B)) / 2;
  const across = within(r.vectors, A, B);
  expect(same - across).toBeGreaterThan(0.3);
  expect(r.vectors.neighbours('cat', 3)!.every((n) => A.includes(n.word))).toBe(true);
  expect(r.counts).toMatchObject({ tokens: 15000, lines: 1500, vocab: 12 });
  expect(r.training.epochs).toBe(3);
  expect(r.epochs[2].loss).toBeLessThan(r.epochs[0].loss);
  expect(fs.existsSync(path.join(out, 'best', 'model.json'))).toBe(true);
});

const userError = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    expect((e as Error).message).not.toContain('\n');
    return (e as Error).message;
  }
  throw new Error('no error');
};

test('bad corpora: empty, too rare for --min-count, binary: one line naming the file', async () => {
  const d = tmp();
  const empty = path.join(d, 'empty.txt');
  fs.writeFileSync(empty, '\n \n');
  expect(await userError(trainWord2Vec({ data: empty, out: d }))).toBe(`${empty}: empty corpus (no words in 2 lines)`);
  const rare = path.join(d, 'rare.txt');
  fs.writeFileSync(rare, 'a b c d\ne f g\n');
  expect(await userError(trainWord2Vec({ data: rare, out: d }))).toMatch(new RegExp(`^${rare}: no word occurs at least --min-count 5 times \\(the corpus has 7 tokens, 7 distinct\\)`));
  const bin = path.join(d, 'image.png');
  fs.writeFileSync(bin, Buffer.concat([Buffer.from('line one\nline two\n'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 1, 2])]));
  expect(await userError(trainWord2Vec({ data: bin, out: d }))).toMatch(new RegExp(`^${bin}:3: binary data \\(byte 23\\)`));
  expect(await userError(trainWord2Vec({ data: path.join(d, 'nope.txt'), out: d }))).toMatch(/nope\.txt: no such file$/);
});
