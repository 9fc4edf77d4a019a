/**
 * The negative-sampling update as a small WebAssembly module with 128-bit SIMD,
 * assembled here byte by byte (no toolchain needed): the same arithmetic as
 * sgns.ts's JavaScript loop, four floats at a time. Every thread instantiates
 * it over one shared WebAssembly.Memory holding the tables (Hogwild, as
 * word2vec.c); each instance keeps its own globals (table position, scratch).
 *
 * Memory layout (byte offsets chosen by the caller, rows padded to a multiple
 * of 4 floats so every row is 16-byte aligned):
 *   syn0 [V·Dp] f32 · syn1 [V·Dp] f32 · unigram table [N] i32 · sigmoid and
 *   -log-sigmoid tables [1001] f32 each · per-thread scratch (neu1, neu1e).
 *
 * Exports:
 *   setup(dBytes, negative, syn1, table, tableN, pos, sig, nlogSig, nlogOneMinus, neu1e, neu1)
 *   targets(l1, word, alpha) → loss   neu1e = Σ g·syn1[t]; syn1[t] += g·row(l1), over the
 *                                     positive `word` and `negative` table draws (skipping `word`)
 *   add_neu1e(dst)                    row(dst) += neu1e
 *   add_row(dst, src)                 row(dst) += row(src)
 *   scale_row(dst, x)                 row(dst) *= x
 *   zero_row(dst)                     row(dst) = 0
 *   pos() → the table position
 */

const I32 = 0x7f;
const F32 = 0x7d;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

const str = (s: string): number[] => [...uleb(s.length), ...Buffer.from(s, 'utf8')];
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];

// Instructions (only those used below).
const op = {
  block: [0x02, 0x40],
  loop: [0x03, 0x40],
  if: [0x04, 0x40],
  else: [0x05],
  end: [0x0b],
  br: (l: number) => [0x0c, ...uleb(l)],
  brIf: (l: number) => [0x0d, ...uleb(l)],
  select: [0x1b],
  get: (i: number) => [0x20, ...uleb(i)],
  set: (i: number) => [0x21, ...uleb(i)],
  tee: (i: number) => [0x22, ...uleb(i)],
  gget: (i: number) => [0x23, ...uleb(i)],
  gset: (i: number) => [0x24, ...uleb(i)],
  i32load: [0x28, 2, 0],
  f32load: [0x2a, 2, 0],
  i32: (v: number) => [0x41, ...sleb(v)],
  f32: (v: number) => {
    const b = Buffer.alloc(4);
    b.writeFloatLE(v, 0);
    return [0x43, ...b];
  },
  i32eq: [0x46],
  i32ne: [0x47],
  i32ltu: [0x49],
  i32add: [0x6a],
  i32sub: [0x6b],
  i32mul: [0x6c],
  i32shl: [0x74],
  f32add: [0x92],
  f32sub: [0x93],
  f32mul: [0x94],
  f32min: [0x96],
  f32max: [0x97],
  i32truncF32s: [0xa8],
  v128load: [0xfd, 0x00, 4, 0],
  v128store: [0xfd, 0x0b, 4, 0],
  v128zero: [0xfd, 0x0c, ...new Array(16).fill(0)],
  f32x4splat: [0xfd, ...uleb(0x13)],
  f32x4lane: (l: number) => [0xfd, ...uleb(0x1f), l],
  f32x4add: [0xfd, ...uleb(0xe4)],
  f32x4mul: [0xfd, ...uleb(0xe6)],
};
const V128 = 0x7b;

// Globals (mutable i32, one set per instance).
const G = { dBytes: 0, neg: 1, syn1: 2, table: 3, tableN: 4, pos: 5, sig: 6, nls: 7, nlo: 8, neu1e: 9, neu1: 10 };
const N_GLOBALS = 11;

/** A loop `for (d = 0; d < dBytes; d += 16) { body }` (body may use local `d`). */
function rowLoop(d: number, body: number[]): number[] {
  return [
    ...op.i32(0), ...op.set(d),
    ...op.loop,
    ...body,
    ...op.get(d), ...op.i32(16), ...op.i32add, ...op.tee(d),
    ...op.gget(G.dBytes), ...op.i32ltu, ...op.brIf(0),
    ...op.end,
  ];
}

/** addr(local a) + d, a v128 at it. */
const at = (a: number, d: number): number[] => [...op.get(a), ...op.get(d), ...op.i32add];

function targetsBody(): { locals: number[][]; code: number[] } {
  // params: 0 l1, 1 word, 2 alpha(f32); locals: 3 k, 4 l2, 5 d, 6 t, 7 label(f32), 8 f(f32), 9 g(f32), 10 idx, 11 loss(f32), 12 acc(v128), 13 gv(v128), 14 p
  const [l1, word, alpha, k, l2, d, t, label, f, g, idx, loss, acc, gv, p] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14];
  const zeroNeu1e = rowLoop(d, [...op.gget(G.neu1e), ...op.get(d), ...op.i32add, ...op.v128zero, ...op.v128store]);
  const code = [
    ...zeroNeu1e,
    ...op.i32(0), ...op.set(k),
    ...op.block, // exit of the k loop
    ...op.loop,
    ...op.block, // `continue` target (skip this k)
    // choose the target t and label
    ...op.get(k), ...op.i32(0), ...op.i32eq,
    ...op.if,
    ...op.get(word), ...op.set(t), ...op.f32(1), ...op.set(label),
    ...op.else,
    ...op.gget(G.table), ...op.gget(G.pos), ...op.i32(2), ...op.i32shl, ...op.i32add, ...op.i32load, ...op.set(t),
    ...op.gget(G.pos), ...op.i32(1), ...op.i32add, ...op.tee(p),
    ...op.gget(G.tableN), ...op.i32eq,
    ...op.if, ...op.i32(0), ...op.set(p), ...op.end,
    ...op.get(p), ...op.gset(G.pos),
    ...op.f32(0), ...op.set(label),
    ...op.get(t), ...op.get(word), ...op.i32eq, ...op.brIf(1), // == word: skip (br to the `continue` block)
    ...op.end,
    // l2 = syn1 + t·dBytes
    ...op.gget(G.syn1), ...op.get(t), ...op.gget(G.dBytes), ...op.i32mul, ...op.i32add, ...op.set(l2),
    // f = row(l1) · row(l2)
    ...op.v128zero, ...op.set(acc),
    ...rowLoop(d, [...op.get(acc), ...at(l1, d), ...op.v128load, ...at(l2, d), ...op.v128load, ...op.f32x4mul, ...op.f32x4add, ...op.set(acc)]),
    ...op.get(acc), ...op.f32x4lane(0), ...op.get(acc), ...op.f32x4lane(1), ...op.f32add,
    ...op.get(acc), ...op.f32x4lane(2), ...op.get(acc), ...op.f32x4lane(3), ...op.f32add, ...op.f32add, ...op.set(f),
    // idx = trunc((clamp(f, -6, 6) + 6) · 1000/12), byte offset idx·4
    ...op.get(f), ...op.f32(-6), ...op.f32max, ...op.f32(6), ...op.f32min, ...op.f32(6), ...op.f32add, ...op.f32(1000 / 12), ...op.f32mul, ...op.i32truncF32s,
    ...op.i32(2), ...op.i32shl, ...op.set(idx),
    // g = (label − sig[idx]) · alpha
    ...op.get(label), ...op.gget(G.sig), ...op.get(idx), ...op.i32add, ...op.f32load, ...op.f32sub, ...op.get(alpha), ...op.f32mul, ...op.set(g),
    // loss += label ? nls[idx] : nlo[idx]
    ...op.get(loss),
    ...op.gget(G.nls), ...op.get(idx), ...op.i32add, ...op.f32load,
    ...op.gget(G.nlo), ...op.get(idx), ...op.i32add, ...op.f32load,
    ...op.get(k), ...op.i32(0), ...op.i32eq, ...op.select,
    ...op.f32add, ...op.set(loss),
    // neu1e += g·row(l2); row(l2) += g·row(l1)
    ...op.get(g), ...op.f32x4splat, ...op.set(gv),
    ...rowLoop(d, [
      ...op.gget(G.neu1e), ...op.get(d), ...op.i32add,
      ...op.gget(G.neu1e), ...op.get(d), ...op.i32add, ...op.v128load, ...op.get(gv), ...at(l2, d), ...op.v128load, ...op.f32x4mul, ...op.f32x4add,
      ...op.v128store,
      ...at(l2, d),
      ...at(l2, d), ...op.v128load, ...op.get(gv), ...at(l1, d), ...op.v128load, ...op.f32x4mul, ...op.f32x4add,
      ...op.v128store,
    ]),
    ...op.end, // continue target
    ...op.get(k), ...op.i32(1), ...op.i32add, ...op.tee(k),
    ...op.gget(G.neg), ...op.i32(1), ...op.i32add, ...op.i32ltu, ...op.brIf(0),
    ...op.end, // loop
    ...op.end, // block
    ...op.get(loss),
  ];
  return { locals: [[...uleb(4), I32], [...uleb(3), F32], [...uleb(1), I32], [...uleb(1), F32], [...uleb(2), V128], [...uleb(1), I32]], code };
}

function func(locals: number[][], code: number[]): number[] {
  const body = [...vec(locals), ...code, ...op.end];
  return [...uleb(body.length), ...body];
}

/** The module's bytes. */
export function kernelModuleBytes(): Uint8Array {
  // Types: 0 setup(11×i32) → (); 1 targets(i32,i32,f32) → f32; 2 (i32) → (); 3 (i32,i32) → (); 4 (i32,f32) → (); 5 () → i32
  const types = vec([
    [0x60, ...vec(new Array(N_GLOBALS).fill([I32])), 0],
    [0x60, ...vec([[I32], [I32], [F32]]), ...vec([[F32]])],
    [0x60, ...vec([[I32]]), 0],
    [0x60, ...vec([[I32], [I32]]), 0],
    [0x60, ...vec([[I32], [F32]]), 0],
    [0x60, 0, ...vec([[I32]])],
  ]);
  const imports = vec([[...str('env'), ...str('memory'), 0x02, 0x03, ...uleb(1), ...uleb(65536)]]);
  const funcs = vec([[0], [1], [2], [3], [4], [2], [5]]);
  const globals = vec(new Array(N_GLOBALS).fill([I32, 1, ...op.i32(0), ...op.end]));
  const names = ['setup', 'targets', 'add_neu1e', 'add_row', 'scale_row', 'zero_row', 'pos'];
  const exports = vec(names.map((n, i) => [...str(n), 0x00, ...uleb(i)]));

  const setup = func([], Array.from({ length: N_GLOBALS }, (_, i) => [...op.get(i), ...op.gset(i)]).flat());
  const t = targetsBody();
  const targets = func(t.locals, t.code);
  // add_neu1e(dst): row(dst) += neu1e; local 1 d
  const addNeu1e = func([[1, I32]], rowLoop(1, [...at(0, 1), ...at(0, 1), ...op.v128load, ...op.gget(G.neu1e), ...op.get(1), ...op.i32add, ...op.v128load, ...op.f32x4add, ...op.v128store]));
  // add_row(dst, src): local 2 d
  const addRow = func([[1, I32]], rowLoop(2, [...at(0, 2), ...at(0, 2), ...op.v128load, ...at(1, 2), ...op.v128load, ...op.f32x4add, ...op.v128store]));
  // scale_row(dst, x): local 2 d, 3 xv
  const scaleRow = func([[1, I32], [1, V128]], [...op.get(1), ...op.f32x4splat, ...op.set(3), ...rowLoop(2, [...at(0, 2), ...at(0, 2), ...op.v128load, ...op.get(3), ...op.f32x4mul, ...op.v128store])]);
  const zeroRow = func([[1, I32]], rowLoop(1, [...at(0, 1), ...op.v128zero, ...op.v128store]));
  const pos = func([], op.gget(G.pos));
  const code = vec([setup, targets, addNeu1e, addRow, scaleRow, zeroRow, pos]);

  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, types),
    ...section(2, imports),
    ...section(3, funcs),
    ...section(6, globals),
    ...section(7, exports),
    ...section(10, code),
  ]);
}

/** The instance's exports. */
export interface KernelExports {
  setup(dBytes: number, negative: number, syn1: number, table: number, tableN: number, pos: number, sig: number, nlogSig: number, nlogOneMinus: number, neu1e: number, neu1: number): void;
  targets(l1: number, word: number, alpha: number): number;
  add_neu1e(dst: number): void;
  add_row(dst: number, src: number): void;
  scale_row(dst: number, x: number): void;
  zero_row(dst: number): void;
  pos(): number;
}

let compiled: WebAssembly.Module | null = null;

/** Whether this runtime runs the SIMD module (Node ≥ 16.4, current browsers). */
export function wasmKernelAvailable(): boolean {
  try {
    return typeof WebAssembly === 'object' && WebAssembly.validate(kernelModuleBytes().buffer as ArrayBuffer);
  } catch {
    return false;
  }
}

/** An instance over `memory` (a shared WebAssembly.Memory). */
export function instantiateKernel(memory: WebAssembly.Memory): KernelExports {
  if (!compiled) compiled = new WebAssembly.Module(kernelModuleBytes().buffer as ArrayBuffer);
  return new WebAssembly.Instance(compiled, { env: { memory } }).exports as unknown as KernelExports;
}
