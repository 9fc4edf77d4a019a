/**
 * A token vocabulary: id 0 is padding, id 1 the unknown token; the rest by
 * descending frequency (ties alphabetical), keeping tokens seen at least
 * `minFreq` times, at most `maxSize` entries in all.
 */
export const PAD = '<pad>';
export const UNK = '<unk>';

export class Vocabulary {
  readonly tokens: string[];
  private readonly index: Map<string, number>;

  constructor(tokens: string[]) {
    if (tokens[0] !== PAD || tokens[1] !== UNK) throw new Error(`a vocabulary starts with ${PAD} and ${UNK}`);
    this.tokens = tokens;
    this.index = new Map(tokens.map((t, i) => [t, i]));
  }

  /** Builds a vocabulary from tokenized texts. */
  static build(texts: string[][], options: { minFreq?: number; maxSize?: number } = {}): Vocabulary {
    const minFreq = options.minFreq ?? 1;
    const maxSize = options.maxSize ?? Infinity;
    const counts = new Map<string, number>();
    for (const t of texts) for (const w of t) counts.set(w, (counts.get(w) ?? 0) + 1);
    const kept = [...counts.entries()]
      .filter(([w, c]) => c >= minFreq && w !== PAD && w !== UNK)
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, Math.max(0, maxSize - 2))
      .map(([w]) => w);
    return new Vocabulary([PAD, UNK, ...kept]);
  }

  get size(): number {
    return this.tokens.length;
  }

  /** Token ids (unknown tokens → 1). */
  encode(tokens: string[]): number[] {
    return tokens.map((t) => this.index.get(t) ?? 1);
  }

  toJSON(): string[] {
    return this.tokens;
  }

  static fromJSON(tokens: string[]): Vocabulary {
    return new Vocabulary(tokens);
  }
}
