/**
 * The POS task's pieces on tiny inputs: the readers (real UD English EWT lines
 * with a multiword token, an empty node and comments; word<TAB>tag; word/TAG),
 * their one-line errors with file and line, split directories, the tokenizer,
 * the tagging metrics, and the model: padding changes neither the logits of real
 * tokens nor the loss, the character encoder sees each distinct word once, and
 * nothing leaks tensors.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { Vocabulary } from '../../../src/data/vocabulary';
import { UserError } from '../../../src/errors';
import { confusionSpec, formatTagTable, taggingReport } from '../../../src/metrics/tagging';
import { loadTaggedSplits, parseConllu, parseConlluDocument, parseSlash, parseTsv, readTaggedFile, writeConlluTags } from '../../../tasks/pos/data';
import { batchInputs, Encoders, makeBatch, splitLong, taggedBatches, wordChars } from '../../../tasks/pos/encode';
import { buildTagger } from '../../../tasks/pos/model';
import { tokenizeWords } from '../../../tasks/pos/tokenize';
import { predictTagIds } from '../../../tasks/pos/train';
import { expectClose, useBackend } from '../../helpers/backends';

const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-pos-'));
const EWT = path.resolve(__dirname, '..', '..', '..', '..', 'shared', 'data', 'pos', 'ud-english-ewt');

// A sentence of UD English EWT (dev, CC BY-SA 4.0) with a multiword token (1-2).
const TODAY = [
  '# sent_id = weblog-blogspot.com_gettingpolitical_20030906235000_ENG_20030906_235000-0003',
  "# text = Today's incident proves that Sharon has lost his patience and his hope in peace.",
  "1-2\tToday's\t_\t_\t_\t_\t_\t_\t_\t_",
  '1\tToday\ttoday\tNOUN\tNN\tNumber=Sing\t3\tnmod:poss\t3:nmod:poss\t_',
  "2\t's\t's\tPART\tPOS\t_\t1\tcase\t1:case\t_",
  '3\tincident\tincident\tNOUN\tNN\tNumber=Sing\t4\tnsubj\t4:nsubj\t_',
  '4\tproves\tprove\tVERB\tVBZ\tMood=Ind|Number=Sing|Person=3|Tense=Pres|VerbForm=Fin\t0\troot\t0:root\t_',
  '5\tthat\tthat\tSCONJ\tIN\t_\t8\tmark\t8:mark\t_',
  '6\tSharon\tSharon\tPROPN\tNNP\tNumber=Sing\t8\tnsubj\t8:nsubj\t_',
  '7\thas\thave\tAUX\tVBZ\tMood=Ind|Number=Sing|Person=3|Tense=Pres|VerbForm=Fin\t8\taux\t8:aux\t_',
  '8\tlost\tlose\tVERB\tVBN\tTense=Past|VerbForm=Part\t4\tccomp\t4:ccomp\t_',
  '9\this\this\tPRON\tPRP$\tCase=Gen|Gender=Masc|Number=Sing|Person=3|Poss=Yes|PronType=Prs\t10\tnmod:poss\t10:nmod:poss\t_',
  '10\tpatience\tpatience\tNOUN\tNN\tNumber=Sing\t8\tobj\t8:obj\t_',
  '11\tand\tand\tCCONJ\tCC\t_\t13\tcc\t13:cc\t_',
  '12\this\this\tPRON\tPRP$\tCase=Gen|Gender=Masc|Number=Sing|Person=3|Poss=Yes|PronType=Prs\t13\tnmod:poss\t13:nmod:poss\t_',
  '13\thope\thope\tNOUN\tNN\tNumber=Sing\t10\tconj\t8:obj|10:conj:and\t_',
  '14\tin\tin\tADP\tIN\t_\t15\tcase\t15:case\t_',
  '15\tpeace\tpeace\tNOUN\tNN\tNumber=Sing\t13\tnmod\t13:nmod:in\tSpaceAfter=No',
  '16\t.\t.\tPUNCT\t.\t_\t4\tpunct\t4:punct\t_',
  '',
].join('\n');

/** The lines of one sentence of a real CoNLL-U file, by sent_id. */
function sentenceById(file: string, id: string): string {
  const blocks = fs.readFileSync(file, 'utf8').split(/\n\n/);
  const b = blocks.find((x) => x.includes(`# sent_id = ${id}\n`));
  if (!b) throw new Error(`${id} not in ${file}`);
  return b.trim() + '\n\n';
}

const errorOf = (f: () => unknown): Error => {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
};

describe('readers', () => {
  test('CoNLL-U: comments and the multiword-token line are skipped; UPOS or XPOS', () => {
    const [s] = parseConllu(TODAY, 'today.conllu');
    expect(s.words).toEqual(['Today', "'s", 'incident', 'proves', 'that', 'Sharon', 'has', 'lost', 'his', 'patience', 'and', 'his', 'hope', 'in', 'peace', '.']);
    expect(s.tags.slice(0, 8)).toEqual(['NOUN', 'PART', 'NOUN', 'VERB', 'SCONJ', 'PROPN', 'AUX', 'VERB']);
    expect(s.source).toBe('today.conllu:4');
    expect(parseConllu(TODAY, 'today.conllu', 'xpos')[0].tags.slice(0, 3)).toEqual(['NN', 'POS', 'NN']);
  });

  test('CoNLL-U: an empty node (8.1) of a real EWT sentence is skipped, and IDs stay in order', () => {
    const text = sentenceById(path.join(EWT, 'en_ewt-ud-dev.conllu'), 'weblog-blogspot.com_aggressivevoicedaily_20060814163400_ENG_20060814_163400-0007') + TODAY;
    expect(text).toMatch(/\n8\.1\twrite\t/);
    const ss = parseConllu(text, 'x.conllu');
    expect(ss).toHaveLength(2);
    expect(ss[0].words.slice(6, 9)).toEqual(['they', 'like', 'about']);
    expect(ss[0].words).toHaveLength(text.split('\n\n')[0].split('\n').filter((l) => /^\d+\t/.test(l)).length);
    expect(ss[0].words).toHaveLength(33);
    expect(ss[1].words[0]).toBe('Today');
  });

  test('the real EWT files read: 12,544 / 2,001 sentences, 17 UPOS tags', () => {
    const splits = loadTaggedSplits(EWT, 'auto', 'upos', 1);
    expect(splits.train).toHaveLength(12544);
    expect(splits.dev).toHaveLength(2001);
    expect(splits.train.reduce((a, s) => a + s.words.length, 0)).toBe(204577);
    expect(splits.dev.reduce((a, s) => a + s.words.length, 0)).toBe(25147);
    expect(new Set(splits.train.flatMap((s) => s.tags)).size).toBe(17);
    expect(splits.files.train).toMatch(/en_ewt-ud-train\.conllu$/);
    expect(splits.notes).toEqual(['no test file: reporting dev metrics only']);
  });

  test('malformed CoNLL-U lines are UserErrors naming file and line', () => {
    const lines = TODAY.split('\n');
    const bad = (i: number, line: string): string => {
      const copy = lines.slice();
      copy[i] = line;
      return errorOf(() => parseConllu(copy.join('\n'), 'bad.conllu')).message;
    };
    expect(bad(5, "2\t's\t's\tPART\tPOS\t_\t1\tcase\t1:case")).toBe('bad.conllu:6: expected 10 tab-separated CoNLL-U columns, found 9');
    expect(bad(5, "x\t's\t's\tPART\tPOS\t_\t1\tcase\t1:case\t_")).toMatch(/^bad\.conllu:6: bad word ID 'x'/);
    expect(bad(5, "4\t's\t's\tPART\tPOS\t_\t1\tcase\t1:case\t_")).toMatch(/^bad\.conllu:6: word ID 4 out of order \(expected 3/);
    expect(bad(5, '3\tincident\tincident\t_\tNN\tNumber=Sing\t4\tnsubj\t4:nsubj\t_')).toBe('bad.conllu:6: no UPOS tag in column 4');
    const noXpos = errorOf(() => parseConllu(TODAY.replace('\tPOS\t', '\t_\t'), 'bad.conllu', 'xpos'));
    expect(noXpos).toBeInstanceOf(UserError);
    expect(noXpos.message).toMatch(/^bad\.conllu:5: no XPOS tag in column 5 \(this treebank may have no XPOS/);
  });

  test('word<TAB>tag and word/TAG files, with their errors', () => {
    const tsv = parseTsv(['The\tDET', 'cat\tNOUN', '', '', 'Runs\tVERB'], 'a.tsv');
    expect(tsv.map((s) => s.words)).toEqual([['The', 'cat'], ['Runs']]);
    expect(tsv[1].source).toBe('a.tsv:5');
    expect(errorOf(() => parseTsv(['The\tDET', 'cat NOUN'], 'a.tsv')).message).toBe('a.tsv:2: expected word<TAB>tag (2 tab-separated columns), found 1');
    expect(errorOf(() => parseTsv(['The\tDET\tx'], 'a.tsv')).message).toBe('a.tsv:1: expected word<TAB>tag (2 tab-separated columns), found 3');
    const slash = parseSlash(['The/at 1/2/cd cats/nns ./.', '', 'Go/vb'], 'b.txt');
    expect(slash[0].words).toEqual(['The', '1/2', 'cats', '.']);
    expect(slash[0].tags).toEqual(['at', 'cd', 'nns', '.']);
    expect(slash[1].source).toBe('b.txt:3');
    expect(errorOf(() => parseSlash(['The/at cat'], 'b.txt')).message).toBe("b.txt:1: token 'cat' is not word/TAG");
    expect(errorOf(() => parseSlash(['The/ cat/nn'], 'b.txt')).message).toBe("b.txt:1: token 'The/' is not word/TAG");
  });

  test('files: format by extension or content; directories by split names; a single file is split 80/10/10', () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'x-train.txt'), 'The/DET cat/NOUN\nA/DET dog/NOUN barks/VERB\n');
    fs.writeFileSync(path.join(dir, 'x-dev.tsv'), 'The\tDET\ndog\tNOUN\n');
    fs.writeFileSync(path.join(dir, 'x-test.conllu'), TODAY);
    const s = loadTaggedSplits(dir, 'auto', 'upos', 1);
    expect([s.train.length, s.dev.length, s.test.length]).toEqual([2, 1, 1]);
    expect(s.notes).toEqual([]);
    const one = path.join(dir, 'x-train.txt');
    fs.writeFileSync(one, Array.from({ length: 20 }, (_, i) => `w${i}/A z/B`).join('\n') + '\n');
    const single = loadTaggedSplits(one, 'auto', 'upos', 1);
    expect([single.train.length, single.dev.length, single.test.length]).toEqual([16, 2, 2]);
    expect(errorOf(() => readTaggedFile(path.join(dir, 'nope.conllu'))).message).toMatch(/nope\.conllu: no such file/);
    const empty = tmp();
    fs.writeFileSync(path.join(empty, 'dev.tsv'), 'a\tB\n');
    expect(errorOf(() => loadTaggedSplits(empty, 'auto', 'upos', 1)).message).toMatch(/no training file/);
  });

  test('CoNLL-U documents for prediction: tags written into one column, every other byte kept', () => {
    const text = TODAY.replace(/\tNOUN\t/g, '\t_\t');
    const doc = parseConlluDocument(text, 'in.conllu');
    expect(doc.sentences[0].words).toHaveLength(16);
    const out = writeConlluTags(doc, [doc.sentences[0].words.map(() => 'X')], 3);
    const inLines = text.trimEnd().split('\n');
    const outLines = out.trimEnd().split('\n');
    expect(outLines).toHaveLength(inLines.length);
    outLines.forEach((l, i) => {
      if (/^\d+\t/.test(inLines[i])) {
        const [a, b] = [inLines[i].split('\t'), l.split('\t')];
        expect(b[3]).toBe('X');
        expect([...b.slice(0, 3), ...b.slice(4)]).toEqual([...a.slice(0, 3), ...a.slice(4)]);
      } else expect(l).toBe(inLines[i]);
    });
  });
});

describe('tokenizer', () => {
  test.each([
    ["I don't think it's Mr. Smith's car.", ['I', 'do', "n't", 'think', 'it', "'s", 'Mr.', 'Smith', "'s", 'car', '.']],
    ['"Well," she said (quietly), paying $3.50 for 1,000 U.S. shares...', ['"', 'Well', ',', '"', 'she', 'said', '(', 'quietly', ')', ',', 'paying', '$3.50', 'for', '1,000', 'U.S.', 'shares', '...']],
    ['Mail me@example.com or see https://x.org/a?b=1 now!', ['Mail', 'me@example.com', 'or', 'see', 'https://x.org/a?b=1', 'now', '!']],
    ["We'll go: a well-made plan.", ['We', "'ll", 'go', ':', 'a', 'well-made', 'plan', '.']],
  ])('%s', (text, expected) => {
    expect(tokenizeWords(text)).toEqual(expected);
  });
});

describe('metrics', () => {
  test('accuracy, OOV accuracy, sentence accuracy and the per-tag table', () => {
    const labels = ['DET', 'NOUN', 'VERB'];
    const gold = [[0, 1, 2], [0, 1]];
    const pred = [[0, 1, 1], [0, 1]];
    const oov = [[false, true, true], [false, false]];
    const r = taggingReport(gold, pred, oov, labels);
    expect(r.accuracy).toBeCloseTo(4 / 5);
    expect(r.oovAccuracy).toBeCloseTo(1 / 2);
    expect(r.sentenceAccuracy).toBeCloseTo(1 / 2);
    const noun = r.perTag.perClass[1];
    expect([noun.precision, noun.recall, noun.support]).toEqual([2 / 3, 1, 2]);
    expect(r.perTag.confusion[2]).toEqual([0, 1, 0]);
    const table = formatTagTable(r);
    expect(table[0]).toMatch(/^tag\s+precision\s+recall\s+F1\s+support$/);
    expect(table.find((l) => l.startsWith('NOUN'))).toMatch(/^NOUN\s+66\.7\s+100\.0\s+80\.0\s+2$/);
    const spec = confusionSpec(r) as { data: { values: { gold: string; predicted: string; count: number }[] } };
    expect(spec.data.values).toContainEqual({ gold: 'VERB', predicted: 'NOUN', count: 1, share: 1 });
    expect(taggingReport([[0]], [[0]], [[false]], labels).oovAccuracy).toBeNaN();
    expect(() => taggingReport([[0, 1]], [[0]], [[false, false]], labels)).toThrow(/1 predicted tags for 2 tokens/);
  });
});

describe('encoding and model', () => {
  const sentences = [
    { words: ['The', 'cat', 'sat', '.'], tags: ['DET', 'NOUN', 'VERB', 'PUNCT'] },
    { words: ['A', 'cat', 'sat', 'on', 'the', 'mat', '.'], tags: ['DET', 'NOUN', 'VERB', 'ADP', 'DET', 'NOUN', 'PUNCT'] },
    { words: ['Cats', 'nap'], tags: ['NOUN', 'VERB'] },
  ];
  const enc: Encoders = {
    words: Vocabulary.build(sentences.map((s) => s.words.map((w) => w.toLowerCase()))),
    chars: Vocabulary.build(sentences.map((s) => [...s.words.join('')])),
    tags: ['ADP', 'DET', 'NOUN', 'PUNCT', 'VERB'],
    maxWordLen: 6,
  };
  const shape = { cell: 'lstm' as const, layers: 2, hidden: 5, wordDim: 4, charDim: 3, charHidden: 2, dropout: 0.2, seed: 7 };

  beforeAll(async () => {
    await useBackend('wasm');
  });

  test('a batch lists each distinct word form once for the character encoder; padding is id 0 / row 0 / tag -1', () => {
    const b = makeBatch(enc, sentences, [0, 1]);
    expect(b.wordIds.map((r) => r.length)).toEqual([7, 7]);
    expect(b.wordIds[0].slice(4)).toEqual([0, 0, 0]);
    expect(b.tags[0].slice(4)).toEqual([-1, -1, -1]);
    expect(b.wordRows[0].slice(4)).toEqual([0, 0, 0]);
    expect(b.charIds[0].every((c) => c === 0)).toBe(true);
    // The, cat, sat, ., A, on, the, mat: 8 distinct forms ('cat' twice, 'the' differs from 'The' in case) + padding row.
    expect(b.charIds).toHaveLength(9);
    expect(b.wordRows[1][1]).toBe(b.wordRows[0][1]);
    expect(wordChars('abcdefghij', 6)).toEqual(['a', 'b', 'c', 'h', 'i', 'j']);
    const long = splitLong([{ words: ['a', 'b', 'c', 'd', 'e'], tags: ['1', '2', '3', '4', '5'], source: 'x' }], 2);
    expect(long.map((s) => s.words)).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
  });

  test('padding changes nothing: logits of real tokens and the loss are the same with extra padding; no leaks', () => {
    const model = buildTagger(shape, { words: enc.words.size, chars: enc.chars.size, tags: enc.tags.length });
    const b = makeBatch(enc, sentences, [0, 2]);
    tf.dispose(model.apply(batchInputs(b, true)) as tf.Tensor);
    const before = tf.memory().numTensors;
    // The same batch padded by three more steps (and a wider character matrix).
    const padded = { ...b, wordIds: b.wordIds.map((r) => [...r, 0, 0, 0]), wordRows: b.wordRows.map((r) => [...r, 0, 0, 0]), tags: b.tags.map((r) => [...r, -1, -1, -1]), charIds: b.charIds.map((r) => [...r, 0, 0]) };
    const K = enc.tags.length;
    const loss = (x: typeof b): number =>
      tf.tidy(() => {
        const logits = model.apply(batchInputs(x, true), { training: false }) as tf.Tensor3D;
        const flat = x.tags.flat();
        const weights = tf.tensor1d(flat.map((t) => (t >= 0 ? 1 : 0)));
        return tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(flat.map((t) => Math.max(t, 0)), 'int32'), K), tf.reshape(logits, [-1, K]), weights).dataSync()[0];
      });
    expect(loss(padded)).toBeCloseTo(loss(b), 5);
    tf.tidy(() => {
      const a = model.apply(batchInputs(b, true)) as tf.Tensor3D;
      const p = model.apply(batchInputs(padded, true)) as tf.Tensor3D;
      const alone = model.apply(batchInputs(makeBatch(enc, sentences, [2]), true)) as tf.Tensor3D;
      expectClose('padded batch', p.slice([0, 0, 0], [2, 4, K]), a, 1e-5, 1e-5);
      // Sentence 2 (2 words) alone vs inside a batch padded to 4.
      expectClose('sentence alone', a.slice([1, 0, 0], [1, 2, K]), alone, 1e-5, 1e-5);
    });
    // Gradients reach the character encoder through the row lookup.
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const { value, grads } = tf.variableGrads(() => tf.sum(model.apply(batchInputs(b, true)) as tf.Tensor) as tf.Scalar, vars);
    const charKernel = Object.entries(grads).find(([name]) => /char_encoder.*kernel/.test(name));
    expect(charKernel).toBeDefined();
    expect(tf.tidy(() => tf.max(tf.abs(charKernel![1])).dataSync()[0])).toBeGreaterThan(0);
    value.dispose();
    tf.dispose(Object.values(grads));
    expect(predictTagIds(model, enc, true, sentences, 2).map((t) => t.length)).toEqual([4, 7, 2]);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  test('a words-only model (charDim 0) takes word ids alone; epoch batches are a pure function of (seed, epoch)', () => {
    const model = buildTagger({ ...shape, charDim: 0 }, { words: enc.words.size, chars: enc.chars.size, tags: enc.tags.length });
    expect(model.inputs).toHaveLength(1);
    expect(predictTagIds(model, enc, false, sentences, 8).map((t) => t.length)).toEqual([4, 7, 2]);
    model.dispose();
    const many = Array.from({ length: 40 }, (_, i) => sentences[i % 3]);
    const a = taggedBatches(enc, many, 4, { seed: 3, epoch: 2, wordDropout: 0.3 });
    const b = taggedBatches(enc, many, 4, { seed: 3, epoch: 2, wordDropout: 0.3 });
    const c = taggedBatches(enc, many, 4, { seed: 3, epoch: 3, wordDropout: 0.3 });
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    // Word dropout replaces some words by <unk> (1), never padding, and leaves tags and characters alone.
    const ids = a.flatMap((x) => x.wordIds.flat());
    expect(ids.filter((id) => id === 1).length).toBeGreaterThan(0);
    const clean = taggedBatches(enc, many, 4, { seed: 3, epoch: 2 });
    expect(clean.map((x) => x.index)).toEqual(a.map((x) => x.index));
    expect(clean.map((x) => x.charIds)).toEqual(a.map((x) => x.charIds));
    expect(clean.flatMap((x) => x.wordIds.flat()).filter((id) => id === 0).length).toBe(ids.filter((id) => id === 0).length);
  });
});
