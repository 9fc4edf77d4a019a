/**
 * Byte-pair subwords (tasks/translate/bpe.ts) and --subwords in the translate
 * task: the textbook merges on Sennrich et al.'s example, encode → join is the
 * identity on real training text (Multi30k, when ../shared holds it), and a BPE
 * model trained for an epoch keeps its merges in the checkpoint, predicts the same
 * after save/load, and resumes with the same tables.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Bpe, joinBpe, learnBpe, parseSubwords } from '../../../tasks/translate/bpe';
import { tokenize } from '../../../tasks/translate/data';
import { trainTranslate } from '../../../tasks/translate/train';
import { Translator } from '../../../tasks/translate/predict';
import { readArtifacts } from '../../../src/train/checkpoint';
import { useBackend } from '../../helpers/backends';

const MULTI30K = path.join(__dirname, '../../../../shared/data/translation/multi30k/train.en');

describe('learnBpe / encode / joinBpe', () => {
  it("learns Sennrich et al.'s first merges on their toy vocabulary (low, lower, newest, widest)", () => {
    const words = [...Array(5).fill('low'), ...Array(2).fill('lower'), ...Array(6).fill('newest'), ...Array(3).fill('widest')];
    const bpe = learnBpe([words], 4);
    // Counts: e s 9, s t</w> 9 → es t</w> 9; then l o 7; then n e 6 (lo w is 2 once 'low' ends in w</w>, '</w>' being glued to a word's last character).
    expect(bpe.merges).toEqual([['e', 's'], ['es', 't</w>'], ['l', 'o'], ['n', 'e']]);
    expect(bpe.encode(['lowest'])).toEqual(['lo@@', 'w@@', 'est']);
    expect(joinBpe(bpe.encode(['lowest', 'newer']))).toEqual(['lowest', 'newer']);
  });

  it('encode → join is the identity on the training text, and the merges shorten it', () => {
    const lines = fs.existsSync(MULTI30K)
      ? fs.readFileSync(MULTI30K, 'utf8').split('\n').slice(0, 3000)
      : ['A man in an orange hat starring at something.', 'Two young, White males are outside near many bushes.'];
    const sents = lines.map((l) => tokenize(l, false));
    const bpe = learnBpe(sents, 400);
    expect(bpe.merges.length).toBeGreaterThan(fs.existsSync(MULTI30K) ? 300 : 5);
    let words = 0;
    let pieces = 0;
    for (const s of sents) {
      const enc = bpe.encode(s);
      expect(joinBpe(enc)).toEqual(s);
      words += s.length;
      pieces += enc.length;
    }
    expect(pieces).toBeGreaterThanOrEqual(words);
    // A round trip through JSON (the checkpoint) gives the same segmentation.
    const again = Bpe.fromJSON(JSON.parse(JSON.stringify(bpe.toJSON())));
    expect(again.encode(sents[0])).toEqual(bpe.encode(sents[0]));
  });

  it('parses --subwords and rejects a malformed value with one clear line', () => {
    expect(parseSubwords('none')).toBeNull();
    expect(parseSubwords('bpe:8000')).toEqual({ merges: 8000, joint: false });
    expect(parseSubwords('bpe-joint:100')).toEqual({ merges: 100, joint: true });
    expect(() => parseSubwords('bpe')).toThrow(/--subwords must be none, bpe:N or bpe-joint:N/);
  });
});

describe('--subwords bpe in the translate task', () => {
  let tmp: string;
  beforeAll(async () => {
    await useBackend('wasm');
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-bpe-'));
    const de = ['der kleine hund läuft', 'die kleine katze schläft', 'der große hund schläft', 'die große katze läuft', 'ein hund läuft schnell', 'eine katze schläft lange'];
    const en = ['the little dog runs', 'the little cat sleeps', 'the big dog sleeps', 'the big cat runs', 'a dog runs fast', 'a cat sleeps long'];
    const rep = (xs: string[], n: number): string[] => Array.from({ length: n }, (_, i) => xs[i % xs.length]);
    for (const [split, n] of [['train', 48], ['val', 6], ['test_2016', 6]] as const) {
      fs.writeFileSync(path.join(tmp, `${split}.de`), rep(de, n).join('\n') + '\n');
      fs.writeFileSync(path.join(tmp, `${split}.en`), rep(en, n).join('\n') + '\n');
    }
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('saves the merges with the checkpoint; the loaded model predicts identically; resuming keeps the tables', async () => {
    const common = { data: tmp, source: 'de', target: 'en', variant: '', hidden: 12, embeddingDim: 8, batchSize: 16, minFreq: 1, beamSize: 2, examples: 0, patience: 0, seed: 3, lr: 0.01, decoder: 'input-feeding' as const, subwords: 'bpe:20' };
    const out = path.join(tmp, 'run');
    const r = await trainTranslate({ ...common, epochs: 1, out });
    expect(r.notes.some((n) => /subwords: 20 source \/ 20 target byte-pair merges/.test(n))).toBe(true);
    const art = readArtifacts(r.modelDir) as unknown as { sourceBpe: { merges: unknown[] }; targetBpe: { merges: unknown[] } };
    expect(art.sourceBpe.merges).toHaveLength(20);
    expect(art.targetBpe.merges).toHaveLength(20);
    // The checkpoint's translator segments the source with the saved merges and joins its output into words.
    const t = await Translator.load(r.modelDir);
    const src = r.samples.map((s) => s.source);
    const got = t.translate(src);
    expect(got.map((g) => g.translation)).toEqual(r.samples.map((s) => s.translation));
    expect(got[0].sourceTokens.some((x) => x.endsWith('@@'))).toBe(true);
    got.forEach((g) => expect(g.translation).not.toMatch(/@@/));
    const again = await Translator.load(r.modelDir);
    expect(again.translate(src).map((g) => g.translation)).toEqual(got.map((g) => g.translation));
    t.dispose();
    again.dispose();
    // Resuming reads the tables from the checkpoint (a different --subwords value is not relearned).
    // (Into the same run directory: resuming into a new --out looks for a best/ the old run wrote elsewhere.)
    const r2 = await trainTranslate({ ...common, subwords: 'bpe:5', epochs: 2, out, resume: path.join(out, 'last') });
    const art2 = readArtifacts(r2.modelDir) as unknown as { sourceBpe: { merges: unknown[] } };
    expect(art2.sourceBpe).toEqual(art.sourceBpe);
  });
});
