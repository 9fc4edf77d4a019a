/**
 * Generating with a trained language model: CharLm (a checkpoint loaded for
 * generation, stepping in tfjs or in onnxruntime through onnx.ts) and the
 * input/output of rnn-generate / rnn-predict. Sampling itself is generate.ts.
 * Next: index.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { Vocabulary } from '../../src/data/vocabulary';
import { UserError } from '../../src/errors';
import { loadModel } from '../../src/io/fs_handler';
import type { OnnxRuntimeOptions } from '../../src/onnx/onnxruntime';
import { runOnnx } from '../../src/onnx/onnxruntime';
import type { PredictIO, TaskPredictor } from '../../src/task';
import { readTaskArtifacts } from '../../src/task_artifacts';
import { artifactList, embeddingRowsOf, expectArtifactSize, outputUnits, resolveCheckpoint } from '../../src/train';
import type { CharLmConfig, LmLevel } from './config';
import { EOS, toSymbols } from './data';
import { generateIds, SamplingOptions } from './generate';
import { LmNet } from './model';
import { exportLm, graphStates, OnnxStepper } from './onnx';

/** What a checkpoint carries besides the model, to generate. */
export interface CharLmArtifacts {
  task: 'charlm';
  level: LmLevel;
  vocabulary: string[];
  config: CharLmConfig;
}

/** A language model loaded for generation. */
export class CharLm implements TaskPredictor {
  readonly banned: ReadonlySet<number>;
  /** Set by useOnnxRuntime(): generation steps through the exported graph in onnxruntime-node. */
  private onnx: OnnxStepper | null = null;

  constructor(readonly net: LmNet, readonly vocab: Vocabulary, readonly level: LmLevel, readonly config: CharLmConfig) {
    this.banned = new Set([0, 1]); // <pad> never occurs; <unk> is not worth generating
  }

  static async load(dir: string): Promise<CharLm> {
    const ckpt = resolveCheckpoint(dir);
    const a = readTaskArtifacts<CharLmArtifacts>(ckpt, 'charlm');
    const vocabulary = artifactList(ckpt, a as unknown as Record<string, unknown>, 'vocabulary', 'vocabulary');
    const model = await loadModel(ckpt);
    // the artifacts against the model: one line naming artifacts.json, not wrong symbols or a shape error later
    expectArtifactSize(ckpt, 'vocabulary', vocabulary.length, 'embedding', embeddingRowsOf(model, 'embedding'));
    expectArtifactSize(ckpt, 'vocabulary', vocabulary.length, 'output layer', outputUnits(model));
    return new CharLm(LmNet.fromModel(model), Vocabulary.fromJSON(vocabulary), a.level, a.config);
  }

  /** The id that starts a sample when there is no prime: a line end when the vocabulary has one. */
  get startId(): number {
    const id = this.vocab.encode([this.level === 'char' ? '\n' : EOS])[0];
    return id > 1 ? id : Math.min(2, this.vocab.size - 1);
  }

  /** Ids of a prime text (unknown symbols become <unk>). */
  encode(text: string): number[] {
    return this.vocab.encode(toSymbols(text, this.level));
  }

  /** The text of a symbol id (a word-level model separates words with spaces). */
  symbolText(id: number, first: boolean): string {
    const s = this.vocab.tokens[id];
    if (this.level === 'char') return s;
    return s === EOS ? '\n' : first ? s : ` ${s}`;
  }

  /**
   * Generates `length` symbols after `prime` ('' = from a line start), streaming
   * each piece of text to `onText` as it is produced; returns the generated text
   * (without the prime).
   */
  generate(o: SamplingOptions & { prime?: string; length: number; seed: number; onText?: (piece: string) => void }): string {
    const primeIds = o.prime ? this.encode(o.prime) : [];
    const prime = primeIds.length ? primeIds : [this.startId];
    let text = '';
    const lastPrime = this.vocab.tokens[prime[prime.length - 1]];
    let first = this.level === 'word' && (primeIds.length === 0 || lastPrime === EOS);
    generateIds(this.onnx ?? this.net, {
      ...o,
      prime,
      banned: this.banned,
      onSymbol: (id) => {
        const piece = this.symbolText(id, first);
        first = this.level === 'word' && piece === '\n';
        text += piece;
        o.onText?.(piece);
      },
    });
    return text;
  }

  /** The model as an ONNX graph with its states as inputs and outputs (tasks/charlm/onnx.ts). */
  exportOnnx(metadata: Record<string, string> = {}): Uint8Array {
    return exportLm(this.net, metadata);
  }

  /** Runs the exported graph in onnxruntime on a sample text from given states and compares logits and states with tfjs (rnn-export --verify). */
  async verifyOnnx(bytes: Uint8Array): Promise<string> {
    const V = this.net.vocabSize;
    const ids = tf.tensor2d([Array.from({ length: 12 }, (_, t) => 2 + ((t * 7) % Math.max(1, V - 2))), Array.from({ length: 12 }, (_, t) => 2 + ((t * 3 + 1) % Math.max(1, V - 2)))], undefined, 'int32');
    const start = this.net.zeroStates(2).map((s, i) => tf.randomNormal(s.shape, 0, 0.5, 'float32', 11 + i) as tf.Tensor2D);
    const want = tf.tidy(() => {
      const r = this.net.forward(ids, start, false);
      return [tf.reshape(r.logits, [2, 12, V]), ...r.states];
    });
    const isLstm = this.net.rnn.args.cell === 'lstm';
    const feeds: Record<string, tf.Tensor> = { symbol_ids: ids, ...graphStates(start, isLstm) };
    const got = await runOnnx(bytes, feeds);
    const final = graphStates(want.slice(1), isLstm);
    const pairs: [tf.Tensor, tf.Tensor][] = [[got.logits, want[0]], [got.h_n, final.h0], ...(isLstm ? [[got.c_n, final.c0] as [tf.Tensor, tf.Tensor]] : [])];
    const worst = Math.max(...pairs.map(([a, b]) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0])));
    tf.dispose([ids, ...start, ...want, ...Object.values(feeds), ...Object.values(got), ...Object.values(final)]);
    if (!(worst <= 1e-4)) throw new UserError(`onnxruntime's logits or states differ from tfjs's by ${worst} (> 1e-4)`);
    return `verified in onnxruntime-node: logits and states of a sample batch from random states, max |onnxruntime - tfjs| = ${worst.toExponential(2)}`;
  }

  /** Generation from now on steps through the exported graph in onnxruntime-node (what `rnn-generate --engine onnxruntime` calls). */
  useOnnxRuntime(options: OnnxRuntimeOptions = {}): this {
    this.onnx?.dispose();
    this.onnx = new OnnxStepper(this.net, options);
    return this;
  }

  dispose(): void {
    this.onnx?.dispose();
    this.onnx = null;
    this.net.dispose();
  }
}

/** rnn-predict / rnn-generate for a language model: prime(s) from the arguments or stdin, samples streamed to stdout. */
export async function generateCommand(lm: CharLm, io: PredictIO, options: Record<string, unknown>): Promise<void> {
  const num = (k: string, d: number): number => (options[k] === undefined ? d : Number(options[k]));
  const length = num('length', 500);
  const temperature = num('temperature', 1);
  const topK = num('topK', 0);
  const topP = num('topP', 1);
  const seed = num('seed', 1);
  const count = num('count', 1);
  if (!(Number.isInteger(length) && length >= 1)) throw new UserError(`--length must be a positive integer, got ${String(options.length)}`, 2);
  if (!(temperature >= 0)) throw new UserError(`--temperature must be ≥ 0, got ${String(options.temperature)}`, 2);
  if (!(Number.isInteger(topK) && topK >= 0)) throw new UserError(`--top-k must be a non-negative integer, got ${String(options.topK)}`, 2);
  if (!(topP > 0 && topP <= 1)) throw new UserError(`--top-p must be in (0, 1], got ${String(options.topP)}`, 2);
  let primes: string[] = options.prime !== undefined ? [String(options.prime)] : io.args.length ? io.args : [];
  if (!primes.length && !options.prime) {
    const stdin = await io.readStdin();
    primes = stdin ? [stdin] : [''];
  }
  for (const prime of primes) {
    const unknown = lm.encode(prime).filter((id) => id === 1).length;
    if (unknown) io.note(`prime: ${unknown} symbol(s) not in the model's vocabulary (read as <unk>)`);
    for (let i = 0; i < count; i++) {
      const o = { prime, length, temperature, topK, topP, seed: seed + i };
      if (io.json) {
        const text = lm.generate(o);
        io.write(`${JSON.stringify({ prime, seed: o.seed, text })}\n`);
      } else {
        io.write(prime);
        lm.generate({ ...o, onText: (piece) => io.write(piece) });
        io.write('\n');
      }
    }
  }
}
