/**
 * Corpus BLEU against hand-computed values (sacreBLEU's definition: 13a tokens,
 * clipped n-gram precisions of orders 1–4 summed over the corpus, 'exp' smoothing,
 * brevity penalty).
 */
import { bleuFromStats, corpusBleu, tokenize13a } from '../../src/metrics/bleu';

describe('tokenize13a', () => {
  it('splits punctuation and symbols, keeps . and , inside numbers, splits a dash after a digit', () => {
    expect(tokenize13a('Hello, world!')).toBe('Hello , world !');
    expect(tokenize13a('It costs $3.50 (or 1,000 yen).')).toBe('It costs $ 3.50 ( or 1,000 yen ) .');
    expect(tokenize13a('1994-03-23')).toBe('1994 - 03 - 23');
    expect(tokenize13a('a t-shirt, "new"')).toBe('a t-shirt , " new "');
    expect(tokenize13a('&quot;x&quot; &amp; y')).toBe('" x " & y');
    expect(tokenize13a("the man's hat")).toBe("the man's hat");
    expect(tokenize13a('  many   spaces  ')).toBe('many spaces');
  });
});

describe('corpusBleu', () => {
  it('is 100 for an identical corpus', () => {
    const refs = ['a man in an orange hat starring at something .', 'a boston terrier is running on lush green grass .', 'two dogs play .'];
    expect(corpusBleu(refs, refs).score).toBeCloseTo(100, 10);
  });

  it('matches a hand-computed sentence: precisions 5/6, 3/5, 1/4 and smoothed 0/3', () => {
    // 1-grams: the×2 cat on mat match (5 of 6); 2-grams: "the cat" "on the" "the mat" (3 of 5);
    // 3-grams: "on the mat" (1 of 4); 4-grams: none of 3 → 'exp' smoothing 100/(2·3).
    const r = corpusBleu(['the cat sat on the mat'], ['the cat is on the mat']);
    expect(r.correct).toEqual([5, 3, 1, 0]);
    expect(r.total).toEqual([6, 5, 4, 3]);
    expect(r.precisions[3]).toBeCloseTo(100 / 6, 10);
    const expected = 100 * Math.pow((5 / 6) * (3 / 5) * (1 / 4) * (1 / 6), 1 / 4);
    expect(r.bp).toBe(1);
    expect(r.score).toBeCloseTo(expected, 10); // 37.99
    expect(r.score).toBeCloseTo(37.9918, 3);
  });

  it('applies the brevity penalty exp(1 − r/c) to a short output', () => {
    const r = corpusBleu(['the cat sat on the'], ['the cat sat on the mat']);
    expect(r.precisions).toEqual([100, 100, 100, 100]);
    expect(r.bp).toBeCloseTo(Math.exp(1 - 6 / 5), 12);
    expect(r.score).toBeCloseTo(100 * Math.exp(-0.2), 10); // 81.87
  });

  it('is 0 when an order has no n-grams at all (sacreBLEU without effective order)', () => {
    expect(corpusBleu(['the cat'], ['the cat sat on the mat']).score).toBe(0);
  });

  it('sums statistics over the corpus instead of averaging sentence scores', () => {
    const hyps = ['the cat sat on the mat', 'a dog runs'];
    const refs = ['the cat is on the mat', 'a dog runs fast'];
    const r = corpusBleu(hyps, refs);
    // sentence 2: 1-grams 3/3, 2-grams 2/2, 3-grams 1/1, 4-grams 0/0; lengths 3 vs 4.
    expect(r.correct).toEqual([8, 5, 2, 0]);
    expect(r.total).toEqual([9, 7, 5, 3]);
    expect(r.sysLen).toBe(9);
    expect(r.refLen).toBe(10);
    const expected = 100 * Math.exp(1 - 10 / 9) * Math.pow((8 / 9) * (5 / 7) * (2 / 5) * (1 / 6), 1 / 4);
    expect(r.score).toBeCloseTo(expected, 10);
  });

  it('tokenizes detokenized text with 13a, so punctuation attached or spaced scores the same', () => {
    expect(corpusBleu(['A man, in a hat.'], ['A man , in a hat .']).score).toBeCloseTo(100, 10);
    expect(corpusBleu(['A man in a hat.'], ['a man in a hat.']).score).toBeLessThan(100);
    expect(corpusBleu(['A man in a hat.'], ['a man in a hat.'], { lowercase: true }).score).toBeCloseTo(100, 10);
  });

  it('clips by the maximum count over several references and uses the closest reference length', () => {
    const r = corpusBleu(['the the the the'], [['the cat'], ['the the cat sat on']]); // two reference streams
    expect(r.correct[0]).toBe(2);
    // |hyp| = 4: the references have 2 and 5 tokens; 5 is closer.
    expect(r.refLen).toBe(5);
  });

  it('bleuFromStats gives 0 for an empty output and throws on misaligned streams', () => {
    expect(bleuFromStats({ correct: [0, 0, 0, 0], total: [0, 0, 0, 0], sysLen: 0, refLen: 5 }).score).toBe(0);
    expect(() => corpusBleu(['a', 'b'], ['a'])).toThrow(/2 hypotheses but a reference stream of 1/);
  });
});
