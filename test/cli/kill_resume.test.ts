/**
 * kill -9 during a checkpoint write, as real rnn-train runs of every task (issue 24):
 * a tiny two-epoch run is killed while it writes OUT/last for the second time
 * (RNNKIT_CHECKPOINT_PAUSE holds each write open halfway, so the kill lands inside
 * it); the epoch-1 checkpoint must then prove itself (bytes, checksums, finite
 * weights; charlm's carried TBPTT states included) and `--resume OUT/last` must
 * finish the run (exit 0, OUT/last at epoch 2, the leftovers gone). charlm is also
 * killed between the two renames of the swap (only the aside copy exists then).
 * The same real checkpoints then check, per task, that resuming with a changed
 * architecture option is refused at start naming it, and that artifacts that
 * disagree with the model's layers are one line naming artifacts.json on load.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { UserError } from '../../src/errors';
import { readTrainingState, resolveCheckpoint, verifyCheckpoint } from '../../src/train/checkpoint';
import { getTask } from '../../tasks';
import { useBackend } from '../helpers/backends';
import { sentimentSlice } from '../helpers/sentiment_data';

const root = path.resolve(__dirname, '..', '..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-kill-'));
const PAUSE_MS = 1500;

interface Run { code: number | null; signal: NodeJS.Signals | null; out: string; err: string; killed: boolean }

/** Runs rnn-train; with `killWhen`, polls OUT every 20 ms and sends SIGKILL the first time it holds. */
function train(args: string[], env: Record<string, string> = {}, killWhen?: () => boolean): Promise<Run> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [path.join(root, 'bin', 'rnn-train.js'), ...args, '--backend', 'wasm', '--json'], { cwd: tmp, env: { ...process.env, ...env } });
    let out = '';
    let err = '';
    let killed = false;
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    const timer = killWhen
      ? setInterval(() => {
          if (!killed && killWhen()) {
            killed = true;
            p.kill('SIGKILL');
          }
        }, 20)
      : null;
    p.on('close', (code, signal) => {
      if (timer) clearInterval(timer);
      resolve({ code, signal, out, err, killed });
    });
  });
}

const entries = (dir: string): string[] => (fs.existsSync(dir) ? fs.readdirSync(dir) : []);
/** The second write of OUT/last is under way: OUT/last exists and a temporary sibling is being filled. */
const secondWrite = (out: string) => (): boolean => fs.existsSync(path.join(out, 'last', 'training.json')) && entries(out).some((f) => f.startsWith('.last.tmp-'));
/** Between the swap's renames: the old OUT/last moved aside, the new one not yet in place. */
const midSwap = (out: string) => (): boolean => !fs.existsSync(path.join(out, 'last')) && entries(out).some((f) => f.startsWith('.last.old-'));

function posData(): string {
  const d = fs.mkdtempSync(path.join(tmp, 'pos-'));
  const take = (split: string, n: number): string => fs.readFileSync(path.join(root, 'data', 'pos', `${split}.tsv`), 'utf8').split('\n\n').slice(0, n).join('\n\n').trimEnd() + '\n';
  fs.writeFileSync(path.join(d, 'train.tsv'), take('train', 40));
  fs.writeFileSync(path.join(d, 'dev.tsv'), take('dev', 10));
  fs.writeFileSync(path.join(d, 'test.tsv'), take('test', 10));
  return d;
}
function charlmData(): string {
  const f = path.join(tmp, 'names.txt');
  fs.writeFileSync(f, fs.readFileSync(path.join(root, 'data', 'charlm', 'names.txt'), 'utf8').split('\n').slice(0, 400).join('\n') + '\n');
  return f;
}
function translateData(): string {
  const d = fs.mkdtempSync(path.join(tmp, 'translate-'));
  const lines = fs.readFileSync(path.join(root, 'data', 'translate', 'train.tsv'), 'utf8').trim().split('\n').map((l) => l.split('\t'));
  const write = (split: string, rows: string[][]): void => {
    fs.writeFileSync(path.join(d, `${split}.words`), rows.map((r) => r[0]).join('\n') + '\n');
    fs.writeFileSync(path.join(d, `${split}.iso`), rows.map((r) => r[1]).join('\n') + '\n');
  };
  write('train', lines.slice(0, 48));
  write('dev', lines.slice(48, 56));
  write('test', lines.slice(56, 64));
  return d;
}
function seriesData(): string {
  const f = path.join(tmp, 'sales.csv');
  const rows = Array.from({ length: 72 }, (_, t) => `${2000 + Math.floor(t / 12)}-${String((t % 12) + 1).padStart(2, '0')},${((100 + 2 * t) * (1 + 0.3 * Math.sin((2 * Math.PI * t) / 12))).toFixed(1)}`);
  fs.writeFileSync(f, ['month,sales', ...rows].join('\n') + '\n');
  return f;
}
function corpusData(): string {
  const A = ['cat', 'dog', 'cow', 'pig', 'hen', 'fox'];
  const B = ['one', 'two', 'six', 'ten', 'nine', 'four'];
  let s = 11;
  const pick = (xs: string[]): string => xs[(s = (s * 16807) % 2147483647) % xs.length];
  const f = path.join(tmp, 'topics.txt');
  fs.writeFileSync(f, Array.from({ length: 300 }, (_, i) => Array.from({ length: 10 }, () => pick(i % 2 ? A : B)).join(' ')).join('\n') + '\n');
  return f;
}

interface Case {
  task: string;
  args: () => string[];
  /** An architecture option changed on resume, and the value the run was trained with. */
  change: [flag: string, given: string, trained: string];
  /** Damages artifacts.json so that it disagrees with the model; the expected message after `DIR/artifacts.json: `. */
  damage: (a: Record<string, unknown>) => void;
  says: RegExp;
}
const pop = (key: string) => (a: Record<string, unknown>): void => void (a[key] as unknown[]).pop();
const CASES: Case[] = [
  {
    task: 'sentiment', args: () => ['--data', sentimentSlice(40, 10, 10), '--hidden', '4', '--embedding-dim', '4', '--pretrained', 'none', '--lexicon', 'none'],
    change: ['--hidden', '5', '4'], damage: pop('labels'), says: /the label list has 1 entries but the model's output layer has 2/,
  },
  {
    task: 'pos', args: () => ['--data', posData(), '--pretrained', 'none', '--layers', '1', '--hidden', '6', '--word-dim', '6', '--char-dim', '4', '--char-hidden', '4', '--batch-size', '16'],
    change: ['--hidden', '7', '6'], damage: pop('tags'), says: /the tag list has \d+ entries but the model's output layer \(tag_logits\) has \d+/,
  },
  {
    task: 'charlm', args: () => ['--data', charlmData(), '--layers', '1', '--hidden', '8', '--embedding-dim', '4', '--bptt', '10', '--batch-size', '8', '--min-epoch-steps', '1', '--samples', '0'],
    change: ['--hidden', '9', '8'], damage: pop('vocabulary'), says: /the vocabulary has \d+ entries but the model's embedding has \d+/,
  },
  {
    task: 'translate', args: () => ['--data', translateData(), '--source', 'words', '--target', 'iso', '--hidden', '8', '--embedding-dim', '8', '--batch-size', '16', '--min-freq', '1', '--beam-size', '1', '--examples', '0'],
    change: ['--hidden', '9', '8'], damage: pop('targetVocabulary'), says: /the target vocabulary has \d+ entries but the model's target embedding has \d+/,
  },
  {
    task: 'timeseries', args: () => ['--data', seriesData(), '--hidden', '4'],
    change: ['--hidden', '5', '4'], damage: (a) => void (a.window = (a.window as number) + 1), says: /the window is \d+ but the model's input length is \d+/,
  },
  {
    task: 'word2vec', args: () => ['--data', corpusData(), '--min-count', '1', '--sample', '0', '--dim', '8', '--window', '2', '--save', 'none'],
    change: ['--dim', '9', '8'], damage: pop('words'), says: /the word list has \d+ entries but the model's embedding table has \d+/,
  },
  {
    task: 'nextframe', args: () => ['--frame-size', '8', '--filters', '4', '--input-frames', '3', '--output-frames', '2', '--train-sequences', '8', '--dev-sequences', '4', '--test-sequences', '4', '--batch-size', '4', '--show-sequences', '1'],
    change: ['--filters', '5', '4'], damage: (a) => void (a.inputFrames = 4), says: /the inputFrames is 4 but the model's input frames is 3/,
  },
  {
    task: 'caption', args: () => ['--scenes', '16', '--image-size', '16', '--encoder-depth', '2', '--encoder-width', '4', '--hidden', '8', '--embedding-dim', '8', '--batch-size', '8', '--beam-size', '1'],
    change: ['--hidden', '9', '8'], damage: pop('vocabulary'), says: /the vocabulary has \d+ entries but the model's word embedding has \d+/,
  },
];

beforeAll(async () => useBackend('cpu'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe.each(CASES)('$task', (c) => {
  const out = path.join(tmp, `run-${c.task}`);
  let args: string[];

  test('kill -9 while OUT/last is rewritten: the epoch-1 checkpoint proves itself and --resume finishes the run', async () => {
    args = ['--task', c.task, ...c.args(), '--out', out];
    const killed = await train([...args, '--epochs', '2'], { RNNKIT_CHECKPOINT_PAUSE: `write:${PAUSE_MS}` }, secondWrite(out));
    expect({ killed: killed.killed, signal: killed.signal, err: killed.killed ? '' : killed.err }).toEqual({ killed: true, signal: 'SIGKILL', err: '' });
    const last = path.join(out, 'last');
    expect(verifyCheckpoint(last)).toBe(last);
    expect(readTrainingState(last)).toMatchObject({ epoch: 1, step: 0 });
    if (c.task === 'charlm') expect(fs.existsSync(path.join(last, 'carried.json'))).toBe(true); // the carried TBPTT states are part of it
    expect(entries(out).some((f) => f.startsWith('.last.tmp-'))).toBe(true); // the half-written one is still there

    const resumed = await train([...args, '--epochs', '2', '--resume', last]);
    expect({ code: resumed.code, err: resumed.code === 0 ? '' : resumed.err }).toEqual({ code: 0, err: '' });
    expect(readTrainingState(last)).toMatchObject({ epoch: 2 });
    expect(entries(out).filter((f) => f.startsWith('.'))).toEqual([]); // leftovers removed by the next save
  }, 240000);

  if (c.task === 'charlm') {
    test('kill -9 between the swap\'s renames: the aside copy is found, proves itself and resumes', async () => {
      const killed = await train([...args, '--epochs', '3', '--resume', path.join(out, 'last')], { RNNKIT_CHECKPOINT_PAUSE: `swap:${PAUSE_MS}` }, midSwap(out));
      expect(killed.killed).toBe(true);
      const last = path.join(out, 'last');
      expect(fs.existsSync(last)).toBe(false);
      const src = resolveCheckpoint(last);
      expect(path.basename(src)).toMatch(/^\.last\.old-/);
      expect(verifyCheckpoint(last)).toBe(src);
      expect(fs.existsSync(path.join(src, 'carried.json'))).toBe(true);
      const resumed = await train([...args, '--epochs', '3', '--resume', last]);
      expect({ code: resumed.code, err: resumed.code === 0 ? '' : resumed.err }).toEqual({ code: 0, err: '' });
      expect(readTrainingState(last)).toMatchObject({ epoch: 3 });
    }, 240000);
  }

  test(`resume with ${c.change[0]} changed is refused at start, naming the option and both values`, async () => {
    const [flag, given, trained] = c.change;
    const other = path.join(tmp, `other-${c.task}`);
    const withChange = args.map((a, i) => (args[i - 1] === flag ? given : a)).map((a, i, all) => (all[i - 1] === '--out' ? other : a));
    const r = await train([...withChange, '--resume', path.join(out, 'last')]);
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n').filter((l) => !/: backend /.test(l))).toEqual([
      `rnn-train: error: ${flag} ${given} does not match the checkpoint ${path.join(out, 'last')}, trained with ${flag} ${trained}: resume with ${flag} ${trained}, or start a new run without --resume`,
    ]);
    expect(fs.existsSync(other)).toBe(false);
  }, 60000);

  test('artifacts that disagree with the model: one line naming artifacts.json when loading', async () => {
    const task = (await getTask(c.task))!;
    const good = await task.load(path.join(out, 'last'));
    good.dispose();
    const bad = path.join(tmp, `bad-${c.task}`);
    fs.cpSync(path.join(out, 'last'), bad, { recursive: true });
    const file = path.join(bad, 'artifacts.json');
    const a = JSON.parse(fs.readFileSync(file, 'utf8'));
    c.damage(a);
    fs.writeFileSync(file, JSON.stringify(a));
    let err: unknown;
    await task.load(bad).then((p) => p.dispose(), (e) => (err = e));
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message.split('\n')).toHaveLength(1);
    expect((err as Error).message).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `));
    expect((err as Error).message).toMatch(c.says);
  }, 60000);
});
