/**
 * The word2vec task through the real CLIs (compiled dist/, child processes):
 * rnn-train --task word2vec on a tiny two-topic corpus with a similarity file
 * (JSON events, summary, vector files that read back), rnn-predict answering a
 * neighbour query and an analogy as text and JSON, and bad input as one line
 * on stderr naming the file.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readVectors } from '../../../src/embeddings/formats';

const root = path.resolve(__dirname, '..', '..', '..');
const TRAIN = path.join(root, 'bin', 'rnn-train.js');
const PREDICT = path.join(root, 'bin', 'rnn-predict.js');
const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-w2v-cli-'));

function run(bin: string, args: string[], input?: string) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, input, encoding: 'utf8', timeout: 120000 });
  return { code: r.status, out: r.stdout, err: r.stderr, lines: r.stdout.trim().split('\n').filter(Boolean) };
}

const A = ['cat', 'dog', 'cow', 'pig', 'hen', 'fox'];
const B = ['one', 'two', 'six', 'ten', 'nine', 'four'];

function corpus(dir: string): string {
  let s = 11;
  const pick = (xs: string[]): string => xs[(s = (s * 16807) % 2147483647) % xs.length];
  const lines = Array.from({ length: 1500 }, (_, i) => Array.from({ length: 10 }, () => pick(i % 2 ? A : B)).join(' ') + (i % 3 ? ' .' : ''));
  const f = path.join(dir, 'topics.txt');
  fs.writeFileSync(f, lines.join('\n') + '\n');
  return f;
}

test('rnn-train --task word2vec → events, summary, vectors; rnn-predict neighbours and analogies', () => {
  const d = tmp();
  const out = path.join(d, 'run');
  const sim = path.join(d, 'pairs.tsv');
  fs.writeFileSync(sim, '# w1\tw2\tscore\ncat\tdog\t9\ncow\tpig\t8.5\ncat\tone\t1\ndog\tsix\t0.5\ntwo\tten\t9\nfox\tzebra\t5\n');
  const r = run(TRAIN, ['--task', 'word2vec', '--data', corpus(d), '--out', out, '--min-count', '1', '--sample', '0', '--dim', '16', '--epochs', '3', '--window', '3', '--eval-similarity', sim, '--json']);
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
  const events = r.lines.map((l) => JSON.parse(l));
  expect(events[0]).toMatchObject({ event: 'start', task: 'word2vec' });
  expect(events.filter((e) => e.event === 'epoch')).toHaveLength(3);
  const summary = events[events.length - 1];
  expect(summary).toMatchObject({ event: 'summary', task: 'word2vec', counts: { tokens: 16000, vocab: 13 } });
  expect(summary.metrics.dev.similarity).toBeGreaterThan(0.5); // within-topic pairs rank above across-topic ones
  expect(summary.metrics.dev.similarityCoverage).toBeCloseTo(5 / 6, 4);
  expect(summary.speed.wordsPerSec).toBeGreaterThan(0);
  const vec = readVectors(path.join(out, 'vectors.vec'));
  const bin = readVectors(path.join(out, 'vectors.bin'));
  expect(vec.size).toBe(13);
  expect(vec.dim).toBe(16);
  expect(Array.from(bin.data)).toEqual(Array.from(vec.data));

  const p = run(PREDICT, ['--model', summary.model, 'cat', '-n', '3']);
  expect(p.code).toBe(0);
  expect(p.lines[0]).toBe('cat');
  expect(p.lines).toHaveLength(4);
  for (const l of p.lines.slice(1)) expect(A).toContain(l.trim().split(/\s+/)[0]);
  const j = run(PREDICT, ['--model', summary.model, '--json'], 'one - two + dog\nzebra\n');
  expect(j.code).toBe(0);
  const [analogy, missing] = j.lines.map((l) => JSON.parse(l));
  expect(analogy).toMatchObject({ query: 'one - two + dog', positive: ['one', 'dog'], negative: ['two'] });
  expect(analogy.neighbours).toHaveLength(10);
  expect(analogy.neighbours.map((n: { word: string }) => n.word)).not.toContain('dog');
  expect(missing).toEqual({ query: 'zebra', positive: ['zebra'], negative: [], missing: ['zebra'] });

  // --resume OUT/last continues from epoch 4 with the saved input and output vectors.
  const more = run(TRAIN, ['--task', 'word2vec', '--data', path.join(d, 'topics.txt'), '--out', out, '--min-count', '1', '--sample', '0', '--dim', '16', '--epochs', '4', '--window', '3', '--resume', path.join(out, 'last'), '--json']);
  expect(more.code).toBe(0);
  const epochs = more.lines.map((l) => JSON.parse(l)).filter((e) => e.event === 'epoch');
  expect(epochs.map((e) => e.epoch)).toEqual([4]);
  expect(epochs[0].loss).toBeLessThan(events.filter((e) => e.event === 'epoch')[0].loss);
});

test('bad input: one line on stderr naming the file, exit 1', () => {
  const d = tmp();
  const empty = path.join(d, 'empty.txt');
  fs.writeFileSync(empty, '');
  const bin = path.join(d, 'data.bin');
  fs.writeFileSync(bin, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0]));
  const badSim = path.join(d, 'sim.tsv');
  fs.writeFileSync(badSim, 'cat dog 3\ncat dog\n');
  for (const [args, re] of [
    [['--data', empty], new RegExp(`${empty}: empty corpus`)],
    [['--data', bin], new RegExp(`${bin}:1: binary data`)],
    [['--data', corpus(d), '--min-count', '100000'], /topics\.txt: no word occurs at least --min-count 100000 times/],
    [['--data', corpus(d), '--eval-similarity', badSim], new RegExp(`${badSim}:2: expected "word1 word2 score"`)],
  ] as const) {
    const r = run(TRAIN, ['--task', 'word2vec', '--out', path.join(d, 'o'), ...args]);
    expect(r.code).toBe(1);
    const errLines = r.err.trim().split('\n');
    expect(errLines).toHaveLength(1);
    expect(errLines[0]).toMatch(re);
  }
});
