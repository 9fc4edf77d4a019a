/**
 * Tagging with a trained checkpoint: PosTagger (load → tag word lists), and the
 * rnn-predict front end: raw text (one sentence per line, tokenized by
 * ./tokenize) or CoNLL-U in; CoNLL-U (tags written into the UPOS or XPOS column,
 * every other column and comment kept byte for byte), `word/TAG` lines or JSON out.
 */
import * as fs from 'fs';
import * as tf from '@tensorflow/tfjs';
import { Vocabulary } from '../../src/data/vocabulary';
import { UserError } from '../../src/errors';
import { readText } from '../../src/data/text_file';
import { loadModel } from '../../src/io/fs_handler';
import type { PredictIO, TaskPredictor } from '../../src/task';
import { readTaskArtifacts } from '../../src/task_artifacts';
import { artifactList, embeddingRowsOf, expectArtifactSize, outputUnits } from '../../src/train';
import { CONLLU_COLUMN, parseConlluDocument, writeConlluTags } from './data';
import { Encoders } from './encode';
import { tokenizeWords } from './tokenize';
import { PosArtifacts, predictTagIds } from './train';
import '../../layers/row_gather'; // registers the layer before a model is loaded

/** A trained tagger loaded from a checkpoint directory. */
export class PosTagger implements TaskPredictor {
  private constructor(
    readonly model: tf.LayersModel,
    readonly encoders: Encoders,
    readonly artifacts: PosArtifacts,
  ) {}

  static async load(dir: string): Promise<PosTagger> {
    const a = readTaskArtifacts<PosArtifacts>(dir, 'pos');
    const raw = a as unknown as Record<string, unknown>;
    const words = artifactList(dir, raw, 'words', 'word vocabulary');
    const tags = artifactList(dir, raw, 'tags', 'tag list');
    const chars = a.withChars ? artifactList(dir, raw, 'chars', 'character vocabulary') : (a.chars ?? []);
    const model = await loadModel(dir);
    // the artifacts against the model: one line naming artifacts.json, not a shape error later
    expectArtifactSize(dir, 'tag list', tags.length, 'output layer (tag_logits)', outputUnits(model));
    expectArtifactSize(dir, 'word vocabulary', words.length, 'word embedding', embeddingRowsOf(model, 'word_embedding'));
    if (a.withChars) expectArtifactSize(dir, 'character vocabulary', chars.length, 'character embedding', embeddingRowsOf(model, 'char_embedding'));
    const enc: Encoders = { words: Vocabulary.fromJSON(words), chars: Vocabulary.fromJSON(chars), tags, maxWordLen: a.maxWordLen };
    return new PosTagger(model, enc, a);
  }

  /** The tag set, in id order. */
  get tags(): string[] {
    return this.encoders.tags;
  }

  /** One tag per word, for each sentence (empty sentences give no tags). */
  tag(sentences: string[][]): string[][] {
    const nonEmpty = sentences.map((words, i) => ({ words, i })).filter((s) => s.words.length > 0);
    const ids = predictTagIds(this.model, this.encoders, this.artifacts.withChars, nonEmpty, 64);
    const out: string[][] = sentences.map(() => []);
    nonEmpty.forEach((s, k) => (out[s.i] = ids[k].map((id) => this.encoders.tags[id])));
    return out;
  }

  dispose(): void {
    this.model.dispose();
  }
}

export interface PosPredictOptions {
  /** Input: 'text' (a sentence per line), 'conllu', or 'auto' (CoNLL-U when the first data line has 10 tab-separated columns). */
  format?: 'auto' | 'text' | 'conllu';
  /** Output: 'conllu', 'tagged' (word/TAG), or 'auto' (CoNLL-U for CoNLL-U input, else word/TAG). */
  output?: 'auto' | 'conllu' | 'tagged';
}

const looksLikeConllu = (text: string): boolean => {
  const first = text.split('\n').find((l) => l.trim() !== '' && !l.startsWith('#'));
  return first !== undefined && first.split('\t').length === 10;
};

/** The inputs: files named by the arguments, else the arguments as sentences, else stdin. */
async function readInputs(io: PredictIO): Promise<{ name: string; text: string }[]> {
  if (io.args.length && io.args.every((a) => fs.existsSync(a) && fs.statSync(a).isFile())) return io.args.map((f) => ({ name: f, text: readText(f) }));
  if (io.args.length) return [{ name: 'arguments', text: io.args.join('\n') }];
  const text = await io.readStdin();
  if (!text.trim()) throw new UserError('nothing to tag: give sentences as arguments, a file, or text on standard input', 2);
  return [{ name: 'stdin', text }];
}

/** rnn-predict for a tagging model. */
export async function predictPos(tagger: PosTagger, io: PredictIO, options: PosPredictOptions = {}): Promise<void> {
  const column = CONLLU_COLUMN[tagger.artifacts.tagColumn];
  for (const input of await readInputs(io)) {
    const conllu = options.format === 'conllu' || (options.format !== 'text' && looksLikeConllu(input.text));
    const output = options.output && options.output !== 'auto' ? options.output : conllu ? 'conllu' : 'tagged';
    if (conllu) {
      const doc = parseConlluDocument(input.text, input.name);
      const words = doc.sentences.map((s) => s.words);
      const tags = tagger.tag(words);
      if (io.json) words.forEach((w, i) => io.write(JSON.stringify({ words: w, tags: tags[i] }) + '\n'));
      else if (output === 'conllu') io.write(writeConlluTags(doc, tags, column));
      else words.forEach((w, i) => io.write(w.map((x, j) => `${x}/${tags[i][j]}`).join(' ') + '\n'));
      continue;
    }
    const lines = input.text.split('\n').map((l) => l.trim()).filter(Boolean);
    const words = lines.map(tokenizeWords);
    const tags = tagger.tag(words);
    words.forEach((w, i) => {
      if (io.json) io.write(JSON.stringify({ text: lines[i], words: w, tags: tags[i] }) + '\n');
      else if (output === 'tagged') io.write(w.map((x, j) => `${x}/${tags[i][j]}`).join(' ') + '\n');
      else {
        const rows = w.map((x, j) => {
          const cells = [String(j + 1), x, '_', '_', '_', '_', '_', '_', '_', '_'];
          cells[column] = tags[i][j];
          return cells.join('\t');
        });
        io.write([`# text = ${lines[i]}`, ...rows, ''].join('\n') + '\n');
      }
    });
  }
}
