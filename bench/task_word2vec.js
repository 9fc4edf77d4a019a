#!/usr/bin/env node
/**
 * word2vec speed and quality against its peers, in the same run on the same
 * tokens: rnnkit's word2vec task (1 and 2 threads), fastText's command line
 * (`fasttext skipgram -minn 0 -maxn 0`: word2vec skip-gram with negative
 * sampling, Debian package fasttext) and gensim's Word2Vec (python3-gensim).
 * The corpus is tokenized once by the task's tokenizer (lowercase, punctuation
 * split) and every tool reads that file; every tool's vectors are scored by the
 * same code (src/embeddings/evaluate.ts): WordSim-353 Spearman ρ and 3CosAdd
 * analogy accuracy over the 30k most frequent words.
 *
 *   npm run build && node bench/task_word2vec.js [--data FILE] [--epochs 5] [--threads 1,2]
 *       [--peers fasttext,gensim] [--lines N] [--lr 0.025] [--model skipgram|cbow]
 *
 * words/s = vocabulary tokens read per second of training (fastText: its own
 * "words/sec/thread" × threads, which counts the same tokens). Prints a table;
 * asserts nothing about time.
 */
const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const root = path.join(__dirname, '..');
const dist = (p) => require(path.join(root, 'dist', p));
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const shared = path.join(root, '..', 'shared', 'data', 'word2vec');
const DATA = arg('data', path.join(shared, 'gcide.txt'));
const SIM = arg('similarity', path.join(shared, 'wordsim353.tsv'));
const ANA = arg('analogies', path.join(shared, 'questions-words.txt'));
const EPOCHS = Number(arg('epochs', 5));
const THREADS = arg('threads', '1,2').split(',').map(Number);
const PEERS = arg('peers', 'fasttext,gensim').split(',').filter(Boolean);
const LINES = Number(arg('lines', 0));
const MODEL = arg('model', 'skipgram');
const LR = Number(arg('lr', MODEL === 'cbow' ? 0.05 : 0.025));
const S = { dim: 100, window: 5, negative: 5, minCount: 5, sample: 1e-4 };

async function main() {
  const tf = require('@tensorflow/tfjs');
  require('@tensorflow/tfjs-backend-wasm');
  await tf.setBackend('wasm');
  const { lineTokens } = dist('tasks/word2vec/data.js');
  const { trainWord2Vec } = dist('tasks/word2vec/train.js');
  const { readVectors } = dist('src/embeddings/formats.js');
  const ev = dist('src/embeddings/evaluate.js');
  const pairs = ev.readSimilarityFile(SIM);
  const questions = ev.readAnalogyFile(ANA);
  const score = (wv) => {
    const s = ev.evaluateSimilarity(wv, pairs, true);
    const a = ev.evaluateAnalogies(wv, questions, { restrict: 30000, lowercase: true });
    return { rho: s.spearman, simCov: `${s.covered}/${s.total}`, analogy: a.accuracy, anaCov: a.covered / a.total };
  };

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-w2v-bench-'));
  const tok = path.join(dir, 'corpus.tok');
  let lines = fs.readFileSync(DATA, 'utf8').split('\n');
  if (LINES) lines = lines.slice(0, LINES);
  fs.writeFileSync(tok, lines.map((l) => lineTokens(l, 'words').join(' ')).join('\n') + '\n');
  const tokens = lines.reduce((n, l) => n + lineTokens(l, 'words').length, 0);
  console.log(`corpus ${DATA}${LINES ? ` (first ${LINES} lines)` : ''}: ${tokens} tokens; ${MODEL}, dim ${S.dim}, window ${S.window}, negative ${S.negative}, min count ${S.minCount}, sample ${S.sample}, ${EPOCHS} epochs, lr ${LR}; machine: ${os.cpus().length}× ${os.cpus()[0].model}, load ${os.loadavg()[0].toFixed(1)}`);
  const rows = [];

  for (const t of THREADS) {
    const r = await trainWord2Vec({ data: tok, tokenize: 'whitespace', out: path.join(dir, `rnnkit${t}`), workers: t, epochs: EPOCHS, lr: LR, model: MODEL, ...S, save: 'none' });
    rows.push({ tool: `rnnkit (${r.speed.kernel})`, threads: t, wps: r.speed.wordsPerSec, seconds: r.speed.trainSeconds, ...score(r.vectors) });
    console.log(JSON.stringify(rows[rows.length - 1]));
  }
  if (PEERS.includes('fasttext')) {
    const which = spawnSync('which', ['fasttext'], { encoding: 'utf8' });
    if (which.status !== 0) console.log('fasttext: not installed (Debian package fasttext), skipped');
    else {
      for (const t of THREADS) {
        const out = path.join(dir, `ft${t}`);
        const t0 = Date.now();
        const r = spawnSync('fasttext', [MODEL, '-input', tok, '-output', out, '-dim', S.dim, '-ws', S.window, '-epoch', EPOCHS, '-neg', S.negative, '-minCount', S.minCount, '-t', S.sample, '-minn', 0, '-maxn', 0, '-thread', t, '-lr', LR, '-verbose', 2].map(String), { encoding: 'utf8', maxBuffer: 1 << 28 });
        const seconds = (Date.now() - t0) / 1000;
        const progress = (r.stderr + r.stdout).split(/[\r\n]/).filter((l) => l.includes('words/sec/thread'));
        const m = /words\/sec\/thread:\s*(\d+)/.exec(progress[progress.length - 1] || '');
        rows.push({ tool: 'fastText', threads: t, wps: m ? Number(m[1]) * t : NaN, seconds, ...score(readVectors(`${out}.vec`)) });
        console.log(JSON.stringify(rows[rows.length - 1]));
      }
    }
  }
  if (PEERS.includes('gensim')) {
    const py = [
      'import sys, time, json',
      'from gensim.models import Word2Vec',
      'from gensim.models.word2vec import LineSentence',
      'tok, out, t, epochs, lr, sg = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6])',
      `m = Word2Vec(vector_size=${S.dim}, window=${S.window}, negative=${S.negative}, min_count=${S.minCount}, sample=${S.sample}, sg=sg, workers=t, alpha=lr, min_alpha=lr*1e-4)`,
      'm.build_vocab(LineSentence(tok))',
      't0 = time.time()',
      'm.train(LineSentence(tok), total_examples=m.corpus_count, epochs=epochs)',
      'sec = time.time() - t0',
      'm.wv.save_word2vec_format(out)',
      'print(json.dumps({"seconds": sec, "words": int(sum(m.wv.get_vecattr(w, "count") for w in m.wv.index_to_key)) * epochs}))',
    ].join('\n');
    const probe = spawnSync('/usr/bin/python3', ['-c', 'import gensim'], { encoding: 'utf8' });
    if (probe.status !== 0) console.log(`gensim: /usr/bin/python3 cannot import gensim (${probe.stderr.trim().split('\n').pop()}), skipped`);
    else {
      for (const t of THREADS) {
        const out = path.join(dir, `gensim${t}.vec`);
        const r = spawnSync('/usr/bin/python3', ['-c', py, tok, out, t, EPOCHS, LR, MODEL === 'cbow' ? 0 : 1].map(String), { encoding: 'utf8' });
        if (r.status !== 0) {
          console.log(`gensim failed: ${r.stderr.trim().split('\n').pop()}`);
          continue;
        }
        const j = JSON.parse(r.stdout.trim().split('\n').pop());
        rows.push({ tool: 'gensim', threads: t, wps: j.words / j.seconds, seconds: j.seconds, ...score(readVectors(out)) });
        console.log(JSON.stringify(rows[rows.length - 1]));
      }
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
  console.log('');
  console.log('| tool | threads | words/s | words/s per thread | train s | WordSim-353 ρ (pairs) | analogies (coverage) |');
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  for (const r of rows) {
    console.log(`| ${r.tool} | ${r.threads} | ${Math.round(r.wps)} | ${Math.round(r.wps / r.threads)} | ${r.seconds.toFixed(1)} | ${r.rho.toFixed(3)} (${r.simCov}) | ${(100 * r.analogy).toFixed(1)}% (${(100 * r.anaCov).toFixed(0)}%) |`);
  }
}

main().catch((e) => {
  console.error(e.message);
  process.exit(1);
});
