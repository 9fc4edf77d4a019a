/**
 * The POS task through the real CLIs (the compiled dist/ as child processes):
 * rnn-train --task pos on a small slice of the bundled data (JSON summary with
 * the documented metric names), rnn-predict on raw text and on CoNLL-U from stdin
 * (every column but UPOS kept), and one-line errors with file and line.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const root = path.resolve(__dirname, '..', '..', '..');
const TRAIN = path.join(root, 'bin', 'rnn-train.js');
const PREDICT = path.join(root, 'bin', 'rnn-predict.js');
const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-pos-cli-'));
const SMALL = ['--pretrained', 'none', '--layers', '1', '--hidden', '12', '--word-dim', '12', '--char-dim', '6', '--char-hidden', '6', '--batch-size', '16', '--lr', '0.02', '--backend', 'wasm'];

function run(bin: string, args: string[], input?: string) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, input, encoding: 'utf8', timeout: 120000 });
  return { code: r.status, out: r.stdout, err: r.stderr, lines: r.stdout.trim().split('\n').filter(Boolean) };
}

function smallData(): string {
  const d = tmp();
  const take = (split: string, n: number): string =>
    fs.readFileSync(path.join(root, 'data', 'pos', `${split}.tsv`), 'utf8').split('\n\n').slice(0, n).join('\n\n').trimEnd() + '\n';
  fs.writeFileSync(path.join(d, 'train.tsv'), take('train', 100));
  fs.writeFileSync(path.join(d, 'dev.tsv'), take('dev', 20));
  fs.writeFileSync(path.join(d, 'test.tsv'), take('test', 20));
  return d;
}

const CONLLU = [
  '# sent_id = a',
  '# text = The dog barked.',
  '1\tThe\tthe\t_\tDT\t_\t2\tdet\t_\t_',
  '2\tdog\tdog\t_\tNN\t_\t3\tnsubj\t_\t_',
  '3\tbarked\tbark\t_\tVBD\t_\t0\troot\t_\tSpaceAfter=No',
  '4\t.\t.\t_\t.\t_\t3\tpunct\t_\t_',
  '',
].join('\n');

test('rnn-train --task pos → JSON summary; rnn-predict on text and on CoNLL-U from stdin', () => {
  const out = tmp();
  const r = run(TRAIN, ['--task', 'pos', '--data', smallData(), '--epochs', '2', '--out', out, '--json', ...SMALL]);
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
  const events = r.lines.map((l) => JSON.parse(l));
  expect(events[0]).toMatchObject({ event: 'start', task: 'pos', backend: 'wasm' });
  expect(events.filter((e) => e.event === 'epoch')).toHaveLength(2);
  const summary = events[events.length - 1];
  expect(summary).toMatchObject({ event: 'summary', task: 'pos', model: path.join(out, 'best') });
  for (const split of ['dev', 'test']) {
    expect(Object.keys(summary.metrics[split]).sort()).toEqual(['accuracy', 'oovAccuracy', 'sentenceAccuracy']);
    expect(summary.metrics[split].accuracy).toBeGreaterThan(0.3);
  }
  expect(summary.speed.tokensPerSecond).toBeGreaterThan(0);

  const p = run(PREDICT, ['--model', path.join(out, 'best'), 'The old man saw a big dog .']);
  expect(p.code).toBe(0);
  expect(p.lines).toHaveLength(1);
  expect(p.lines[0]).toMatch(/^The\/\S+ old\/\S+ man\/\S+ saw\/\S+ a\/\S+ big\/\S+ dog\/\S+ \.\/\.$/);

  const c = run(PREDICT, ['--model', path.join(out, 'best'), '--format', 'conllu'], CONLLU);
  expect(c.code).toBe(0);
  const inLines = CONLLU.trimEnd().split('\n');
  const outLines = c.out.trimEnd().split('\n');
  expect(outLines).toHaveLength(inLines.length);
  outLines.forEach((l, i) => {
    const [a, b] = [inLines[i].split('\t'), l.split('\t')];
    if (a.length === 10) {
      expect(b[3]).toMatch(/^[A-Z.]+$/);
      expect([...b.slice(0, 3), ...b.slice(4)]).toEqual([...a.slice(0, 3), ...a.slice(4)]);
    } else expect(l).toBe(inLines[i]);
  });
});

test('bad input: one line naming file and line, exit 1', () => {
  const d = tmp();
  const tagged = CONLLU.replace('\t_\tDT\t', '\tDET\tDT\t').replace('\t_\tVBD\t', '\tVERB\tVBD\t').replace('\t_\t.\t', '\tPUNCT\t.\t');
  fs.writeFileSync(path.join(d, 'train.conllu'), tagged.replace('2\tdog\tdog\t_\tNN\t_\t3\tnsubj\t_\t_', '2\tdog\tdog\tNOUN\tNN\t_\t3'));
  const r = run(TRAIN, ['--task', 'pos', '--data', d, '--epochs', '1', '--out', path.join(d, 'out'), ...SMALL]);
  expect(r.code).toBe(1);
  expect(r.err.trim()).toBe(`rnn-train: error: ${path.join(d, 'train.conllu')}:4: expected 10 tab-separated CoNLL-U columns, found 7`);
});
