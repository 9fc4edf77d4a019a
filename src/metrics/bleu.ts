/**
 * Corpus BLEU as sacreBLEU computes it (Post 2018, `sacrebleu.corpus_bleu` with its
 * defaults): the 13a tokenizer (mteval-v13a's) applied to detokenized hypotheses
 * and references, n-grams of orders 1–4 clipped by the reference counts, the
 * statistics summed over the whole corpus, the 'exp' smoothing for orders with no
 * match, and the brevity penalty exp(1 − r/c) when the output is shorter than the
 * references (closest reference length per sentence with several references).
 * Scores are in [0, 100].
 */

/** sacreBLEU's Tokenizer13a: unescapes a few entities, splits punctuation and symbols, keeps . and , inside numbers. */
export function tokenize13a(line: string): string {
  let s = line.replace(/<skipped>/g, '').replace(/-\n/g, '').replace(/\n/g, ' ');
  if (s.includes('&')) s = s.replace(/&quot;/g, '"').replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>');
  s = ` ${s} `;
  s = s.replace(/([{-~[-`\x20-&(-+:-@/])/g, ' $1 ');
  s = s.replace(/([^0-9])([.,])/g, '$1 $2 ');
  s = s.replace(/([.,])([^0-9])/g, ' $1 $2');
  s = s.replace(/([0-9])(-)/g, '$1 $2 ');
  return s.split(/\s+/).filter(Boolean).join(' ');
}

/** The sufficient statistics of BLEU over a corpus. */
export interface BleuStats {
  /** Clipped n-gram matches per order (1..4). */
  correct: number[];
  /** Hypothesis n-grams per order. */
  total: number[];
  /** Hypothesis length in tokens. */
  sysLen: number;
  /** Effective reference length in tokens. */
  refLen: number;
}

export interface BleuResult extends BleuStats {
  /** BLEU in [0, 100]. */
  score: number;
  /** Modified n-gram precisions in percent, per order. */
  precisions: number[];
  /** Brevity penalty. */
  bp: number;
}

const MAX_ORDER = 4;

function ngramCounts(tokens: string[], maxOrder: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (let n = 1; n <= maxOrder; n++) {
    for (let i = 0; i + n <= tokens.length; i++) {
      const g = `${n}\u0001${tokens.slice(i, i + n).join('\u0001')}`;
      counts.set(g, (counts.get(g) ?? 0) + 1);
    }
  }
  return counts;
}

/** Sentence-level statistics (hypothesis and references already tokenized with 13a). */
function sentenceStats(hyp: string[], refs: string[][]): BleuStats {
  const correct = new Array(MAX_ORDER).fill(0);
  const total = new Array(MAX_ORDER).fill(0);
  // Closest reference length; ties go to the shorter reference (sacreBLEU's rule).
  let refLen = refs[0].length;
  let best = Math.abs(refLen - hyp.length);
  for (const r of refs) {
    const d = Math.abs(r.length - hyp.length);
    if (d < best || (d === best && r.length < refLen)) {
      best = d;
      refLen = r.length;
    }
  }
  const maxRef = new Map<string, number>();
  for (const r of refs) for (const [g, c] of ngramCounts(r, MAX_ORDER)) maxRef.set(g, Math.max(maxRef.get(g) ?? 0, c));
  for (const [g, c] of ngramCounts(hyp, MAX_ORDER)) {
    const n = Number(g.slice(0, g.indexOf('\u0001'))) - 1;
    total[n] += c;
    correct[n] += Math.min(c, maxRef.get(g) ?? 0);
  }
  return { correct, total, sysLen: hyp.length, refLen };
}

/** BLEU from corpus statistics, as sacreBLEU's `compute_bleu` with smooth_method 'exp'. */
export function bleuFromStats(stats: BleuStats): BleuResult {
  const { correct, total, sysLen, refLen } = stats;
  const precisions = new Array(MAX_ORDER).fill(0);
  let smooth = 1;
  for (let n = 0; n < MAX_ORDER; n++) {
    if (total[n] === 0) break;
    if (correct[n] === 0) {
      smooth *= 2;
      precisions[n] = 100 / (smooth * total[n]);
    } else precisions[n] = (100 * correct[n]) / total[n];
  }
  const bp = sysLen < refLen ? (sysLen > 0 ? Math.exp(1 - refLen / sysLen) : 0) : 1;
  const myLog = (p: number): number => (p === 0 ? -9999999999 : Math.log(p));
  const score = bp * Math.exp(precisions.reduce((s, p) => s + myLog(p), 0) / MAX_ORDER);
  return { score, precisions, bp, correct, total, sysLen, refLen };
}

/**
 * Corpus BLEU of detokenized hypotheses against one or more reference streams
 * (`refs[k][i]` is the k-th reference of sentence i, as in sacrebleu.corpus_bleu).
 * `lowercase` compares case-insensitively (sacreBLEU's -lc).
 */
export function corpusBleu(hypotheses: string[], refs: string[] | string[][], options: { lowercase?: boolean } = {}): BleuResult {
  const streams: string[][] = typeof refs[0] === 'string' || refs.length === 0 ? [refs as string[]] : (refs as string[][]);
  for (const s of streams) {
    if (s.length !== hypotheses.length) throw new Error(`corpusBleu: ${hypotheses.length} hypotheses but a reference stream of ${s.length} sentences`);
  }
  const prep = (t: string): string[] => {
    const s = tokenize13a(t.trim());
    return (options.lowercase ? s.toLowerCase() : s).split(' ').filter(Boolean);
  };
  const sum: BleuStats = { correct: new Array(MAX_ORDER).fill(0), total: new Array(MAX_ORDER).fill(0), sysLen: 0, refLen: 0 };
  hypotheses.forEach((h, i) => {
    const st = sentenceStats(prep(h), streams.map((s) => prep(s[i])));
    for (let n = 0; n < MAX_ORDER; n++) {
      sum.correct[n] += st.correct[n];
      sum.total[n] += st.total[n];
    }
    sum.sysLen += st.sysLen;
    sum.refLen += st.refLen;
  });
  return bleuFromStats(sum);
}
