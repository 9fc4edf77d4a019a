/**
 * One training thread of the word2vec task (a worker_threads entry). It owns a
 * slice [start, end) of the corpus id stream (as word2vec.c gives each thread a
 * slice of the file), reads it in blocks every epoch, maps provisional ids to
 * vocabulary ids, subsamples, cuts sentences at line ends (and every 1,000
 * words), and runs the negative-sampling loop on the tables shared by all
 * threads (one shared WebAssembly.Memory; Hogwild, no locks).
 *
 * Progress goes through shared memory: progress[4k] = vocabulary words this
 * thread has read over the run, [4k+1] = loss sum, [4k+2] = loss terms; every
 * 10,000 words it re-reads every thread's count to set the learning rate
 * lr0 · (1 − done / (epochs · trainWords + 1)) (floor lr0·1e-4), as word2vec.c,
 * and checks control[0] (stop). Messages: in {epoch}, out {done, epoch}.
 */
import * as fs from 'fs';
import { parentPort, workerData } from 'worker_threads';
import { cbowSentence, KernelState, skipgramSentence } from './sgns';
import { instantiateKernel } from './wasm_kernel';

/** Offsets (bytes) of the tables in the shared memory. */
export interface Layout {
  syn0: number;
  syn1: number;
  table: number;
  tableN: number;
  sig: number;
  nlogSig: number;
  nlogOneMinus: number;
  /** Per-thread scratch: two rows (neu1e, neu1) at scratch + k·2·rowBytes. */
  scratch: number;
  bytes: number;
}

export interface WorkerInit {
  index: number;
  threads: number;
  memory: WebAssembly.Memory;
  layout: Layout;
  vocabSize: number;
  /** Floats per row (the dimension padded to a multiple of 4). */
  rowFloats: number;
  kernel: 'wasm' | 'js';
  model: 'skipgram' | 'cbow';
  window: number;
  negative: number;
  idsFile: string;
  start: number;
  end: number;
  remap: SharedArrayBuffer;
  keep: SharedArrayBuffer;
  progress: SharedArrayBuffer;
  control: SharedArrayBuffer;
  lr: number;
  /** Words the whole run trains on (epochs · trainWords) and words already done before this process (resume). */
  totalWords: number;
  baseWords: number;
  seed: number;
}

const MAX_SENTENCE = 1000;
const BLOCK = 1 << 16;

function xorshiftSeed(...parts: number[]): number {
  let h = 0x2545f491;
  for (const p of parts) {
    h = Math.imul(h ^ (p | 0), 0x9e3779b1);
    h ^= h >>> 15;
  }
  return h | 0 || 1;
}

function run(init: WorkerInit): void {
  const { memory, layout, rowFloats, model, window, negative, threads, index } = init;
  const rowBytes = rowFloats * 4;
  const remap = new Int32Array(init.remap);
  const keep = new Float64Array(init.keep);
  const progress = new Float64Array(init.progress);
  const control = new Int32Array(init.control);
  const buf = memory.buffer as unknown as SharedArrayBuffer;
  const scratch = layout.scratch + index * 2 * rowBytes;
  const wasm = init.kernel === 'wasm' ? instantiateKernel(memory) : null;
  const tablePos0 = Math.floor((layout.tableN * index) / threads);
  if (wasm) wasm.setup(rowBytes, negative, layout.syn1, layout.table, layout.tableN, tablePos0, layout.sig, layout.nlogSig, layout.nlogOneMinus, scratch, scratch + rowBytes);
  const js: KernelState = {
    syn0: new Float32Array(buf, layout.syn0, init.vocabSize * rowFloats),
    syn1: new Float32Array(buf, layout.syn1, init.vocabSize * rowFloats),
    dim: rowFloats,
    window,
    negative,
    table: new Int32Array(buf, layout.table, layout.tableN),
    tablePos: tablePos0,
    sig: new Float32Array(buf, layout.sig, 1001),
    nlogSig: new Float32Array(buf, layout.nlogSig, 1001),
    nlogOneMinus: new Float32Array(buf, layout.nlogOneMinus, 1001),
    rng: 1,
    neu1: new Float32Array(buf, scratch + rowBytes, rowFloats),
    neu1e: new Float32Array(buf, scratch, rowFloats),
    loss: 0,
    lossCount: 0,
  };
  const ids = new Int32Array(BLOCK);
  const sen = new Int32Array(MAX_SENTENCE);
  let words = progress[4 * index];

  // The wasm path: the window loop here, the vector work in the module.
  const s0 = layout.syn0;
  let r = 1;
  let loss = 0;
  let terms = 0;
  const wasmSentence = (n: number, alpha: number): void => {
    const K = wasm!;
    const W = window;
    for (let i = 0; i < n; i++) {
      r ^= r << 13;
      r ^= r >>> 17;
      r ^= r << 5;
      const b = (r >>> 0) % W;
      const lo = i - W + b < 0 ? 0 : i - W + b;
      const hi = i + W - b >= n ? n - 1 : i + W - b;
      const word = sen[i];
      if (model === 'skipgram') {
        for (let c = lo; c <= hi; c++) {
          if (c === i) continue;
          const l1 = s0 + sen[c] * rowBytes;
          loss += K.targets(l1, word, alpha);
          K.add_neu1e(l1);
          terms++;
        }
      } else {
        const neu1 = scratch + rowBytes;
        K.zero_row(neu1);
        let cw = 0;
        for (let c = lo; c <= hi; c++) {
          if (c === i) continue;
          K.add_row(neu1, s0 + sen[c] * rowBytes);
          cw++;
        }
        if (cw === 0) continue;
        K.scale_row(neu1, 1 / cw);
        loss += K.targets(neu1, word, alpha);
        for (let c = lo; c <= hi; c++) if (c !== i) K.add_neu1e(s0 + sen[c] * rowBytes);
        terms++;
      }
    }
  };

  const epochRun = (epoch: number): void => {
    r = xorshiftSeed(init.seed, epoch, index, 0x77);
    js.rng = xorshiftSeed(init.seed, epoch, index, 0x99);
    const fd = fs.openSync(init.idsFile, 'r');
    let alpha = init.lr;
    const setAlpha = (): void => {
      let done = init.baseWords;
      for (let k = 0; k < threads; k++) done += progress[4 * k];
      alpha = Math.max(init.lr * 1e-4, init.lr * (1 - done / (init.totalWords + 1)));
    };
    setAlpha();
    let n = 0;
    let sinceCheck = 0;
    const train = (): void => {
      if (n === 0) return;
      if (wasm) wasmSentence(n, alpha);
      else if (model === 'skipgram') skipgramSentence(js, sen, n, alpha);
      else cbowSentence(js, sen, n, alpha);
      n = 0;
    };
    try {
      for (let pos = init.start; pos < init.end; ) {
        const want = Math.min(BLOCK, init.end - pos);
        const got = fs.readSync(fd, ids, 0, want * 4, pos * 4) / 4;
        if (got <= 0) break;
        pos += got;
        for (let i = 0; i < got; i++) {
          const p = ids[i];
          if (p < 0) {
            train();
            continue;
          }
          const w = remap[p];
          if (w < 0) continue;
          words++;
          js.rng ^= js.rng << 13;
          js.rng ^= js.rng >>> 17;
          js.rng ^= js.rng << 5;
          if ((js.rng >>> 0) < keep[w]) {
            sen[n++] = w;
            if (n === MAX_SENTENCE) train();
          }
          if (++sinceCheck === 10000) {
            sinceCheck = 0;
            progress[4 * index] = words;
            progress[4 * index + 1] += loss + js.loss;
            progress[4 * index + 2] += terms + js.lossCount;
            loss = terms = js.loss = js.lossCount = 0;
            if (Atomics.load(control, 0) !== 0) return;
            setAlpha();
          }
        }
      }
      train();
    } finally {
      fs.closeSync(fd);
      progress[4 * index] = words;
      progress[4 * index + 1] += loss + js.loss;
      progress[4 * index + 2] += terms + js.lossCount;
      loss = terms = js.loss = js.lossCount = 0;
    }
  };

  parentPort!.on('message', (m: { epoch: number }) => {
    try {
      epochRun(m.epoch);
      parentPort!.postMessage({ type: 'done', epoch: m.epoch });
    } catch (e) {
      parentPort!.postMessage({ type: 'error', message: (e as Error).stack ?? String(e) });
    }
  });
  parentPort!.postMessage({ type: 'ready' });
}

if (parentPort && workerData && (workerData as { word2vec?: WorkerInit }).word2vec) run((workerData as { word2vec: WorkerInit }).word2vec);
