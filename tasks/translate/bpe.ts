/**
 * Byte-pair-encoding subwords (Sennrich, Haddow & Birch 2016, "Neural Machine
 * Translation of Rare Words with Subword Units"), in subword-nmt's conventions:
 * merges are learned on the word frequencies of the (13a-tokenized) training
 * text, each word ends in an end-of-word marker, and an encoded word's pieces
 * but the last carry the suffix "@@" ("walking" → "walk@@ ing"), so decoding is
 * joining: drop every "@@" and the space after it.
 *
 *   const bpe = learnBpe(sentences, 8000);   // sentences: string[][] of tokens
 *   const pieces = bpe.encode(['walking']);   // ['walk@@', 'ing']
 *   joinBpe(pieces);                          // ['walking']
 *
 * Learning keeps pair counts and, per pair, the words holding it, so a merge
 * only revisits the words it changes (tens of thousands of merges in seconds).
 */

/** Marker of a word's end inside the learner and in merges (subword-nmt's '</w>'). */
const EOW = '</w>';
/** Suffix of a non-final piece. */
export const BPE_CONTINUATION = '@@';

/** A learned merge table (what checkpoints and ONNX metadata carry). */
export interface BpeJSON {
  /** Merges in the order they were learned, as [left, right] symbols (the last symbol of a word ends in '</w>'). */
  merges: [string, string][];
}

export class Bpe {
  private readonly rank = new Map<string, number>();
  private readonly cache = new Map<string, string[]>();

  constructor(readonly merges: [string, string][]) {
    merges.forEach(([a, b], i) => this.rank.set(`${a} ${b}`, i));
  }

  /** The pieces of one word (without the "@@" marks). */
  segment(word: string): string[] {
    const hit = this.cache.get(word);
    if (hit) return hit;
    const chars = Array.from(word);
    if (!chars.length) return [];
    let sym = [...chars.slice(0, -1), chars[chars.length - 1] + EOW];
    for (;;) {
      let best = -1;
      let bestRank = Infinity;
      for (let i = 0; i + 1 < sym.length; i++) {
        const r = this.rank.get(`${sym[i]} ${sym[i + 1]}`);
        if (r !== undefined && r < bestRank) {
          bestRank = r;
          best = i;
        }
      }
      if (best < 0) break;
      const [a, b] = this.merges[bestRank];
      const next: string[] = [];
      for (let i = 0; i < sym.length; i++) {
        if (i + 1 < sym.length && sym[i] === a && sym[i + 1] === b) {
          next.push(a + b);
          i++;
        } else next.push(sym[i]);
      }
      sym = next;
    }
    sym[sym.length - 1] = sym[sym.length - 1].slice(0, -EOW.length);
    if (sym[sym.length - 1] === '') sym.pop();
    this.cache.set(word, sym);
    return sym;
  }

  /** Tokens → subword tokens ("@@" on every piece but a word's last). */
  encode(tokens: string[]): string[] {
    const out: string[] = [];
    for (const w of tokens) {
      const p = this.segment(w);
      p.forEach((s, i) => out.push(i < p.length - 1 ? s + BPE_CONTINUATION : s));
    }
    return out;
  }

  toJSON(): BpeJSON {
    return { merges: this.merges };
  }

  static fromJSON(j: BpeJSON): Bpe {
    return new Bpe(j.merges);
  }
}

/** Subword tokens → tokens: a piece ending in "@@" is glued to the next one. A dangling "@@" at the end is dropped. */
export function joinBpe(pieces: string[]): string[] {
  const out: string[] = [];
  let cur = '';
  for (const p of pieces) {
    if (p.endsWith(BPE_CONTINUATION)) cur += p.slice(0, -BPE_CONTINUATION.length);
    else {
      out.push(cur + p);
      cur = '';
    }
  }
  if (cur) out.push(cur);
  return out;
}

/** Learns up to `numMerges` merges from tokenized sentences (see the file comment). */
export function learnBpe(sentences: string[][], numMerges: number): Bpe {
  const freq = new Map<string, number>();
  for (const s of sentences) for (const w of s) freq.set(w, (freq.get(w) ?? 0) + 1);
  const words: string[][] = [];
  const counts: number[] = [];
  for (const [w, c] of freq) {
    const chars = Array.from(w);
    if (!chars.length) continue;
    words.push([...chars.slice(0, -1), chars[chars.length - 1] + EOW]);
    counts.push(c);
  }
  const pairCount = new Map<string, number>();
  const pairWords = new Map<string, Set<number>>();
  const addPairs = (wi: number, sign: number): void => {
    const s = words[wi];
    for (let i = 0; i + 1 < s.length; i++) {
      const k = `${s[i]} ${s[i + 1]}`;
      pairCount.set(k, (pairCount.get(k) ?? 0) + sign * counts[wi]);
      if (sign > 0) {
        let set = pairWords.get(k);
        if (!set) pairWords.set(k, (set = new Set()));
        set.add(wi);
      }
    }
  };
  words.forEach((_, wi) => addPairs(wi, 1));
  const merges: [string, string][] = [];
  while (merges.length < numMerges) {
    let best = '';
    let bestCount = 1; // a pair seen once is not worth a merge (subword-nmt's min frequency 2)
    for (const [k, c] of pairCount) {
      if (c > bestCount) {
        best = k;
        bestCount = c;
      }
    }
    if (best === '') break;
    const sp = best.indexOf(' ');
    const a = best.slice(0, sp);
    const b = best.slice(sp + 1);
    merges.push([a, b]);
    const affected = Array.from(pairWords.get(best) ?? []);
    for (const wi of affected) {
      const s = words[wi];
      let has = false;
      for (let i = 0; i + 1 < s.length; i++) if (s[i] === a && s[i + 1] === b) has = true;
      if (!has) continue;
      addPairs(wi, -1);
      const next: string[] = [];
      for (let i = 0; i < s.length; i++) {
        if (i + 1 < s.length && s[i] === a && s[i + 1] === b) {
          next.push(a + b);
          i++;
        } else next.push(s[i]);
      }
      words[wi] = next;
      addPairs(wi, 1);
    }
    pairCount.delete(best);
    pairWords.delete(best);
  }
  return new Bpe(merges);
}

/** Parses the --subwords value: 'none', 'bpe:N' (separate merges per language) or 'bpe-joint:N' (one table learned on both sides). */
export function parseSubwords(spec: string | undefined): { merges: number; joint: boolean } | null {
  if (spec == null || spec === '' || spec === 'none') return null;
  const m = /^(bpe|bpe-joint):(\d+)$/.exec(spec);
  if (!m || Number(m[2]) < 1) throw new Error(`--subwords must be none, bpe:N or bpe-joint:N (N merges, a positive integer), got '${spec}'`);
  return { merges: Number(m[2]), joint: m[1] === 'bpe-joint' };
}
