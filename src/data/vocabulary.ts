/**
 * A token vocabulary: id 0 is padding, id 1 the unknown token, then the
 * task's special tokens in the order given (e.g. <sos>, <eos>), then the rest
 * by descending frequency (ties alphabetical), keeping tokens seen at least
 * `minFreq` times, at most `maxSize` entries in all.
 */
export const PAD = '<pad>';
export const UNK = '<unk>';
export const SOS = '<sos>';
export const EOS = '<eos>';

export class Vocabulary {
  readonly tokens: string[];
  private readonly index: Map<string, number>;

  constructor(tokens: string[]) {
    if (tokens[0] !== PAD || tokens[1] !== UNK) throw new Error(`a vocabulary starts with ${PAD} and ${UNK}`);
    this.tokens = tokens;
    this.index = new Map(tokens.map((t, i) => [t, i]));
  }

  /** Builds a vocabulary from tokenized texts. */
  static build(texts: string[][], options: { minFreq?: number; maxSize?: number; specials?: string[] } = {}): Vocabulary {
    const minFreq = options.minFreq ?? 1;
    const maxSize = options.maxSize ?? Infinity;
    const specials = options.specials ?? [];
    const reserved = new Set([PAD, UNK, ...specials]);
    const counts = new Map<string, number>();
    for (const t of texts) for (const w of t) counts.set(w, (counts.get(w) ?? 0) + 1);
    const kept = [...counts.entries()]
      .filter(([w, c]) => c >= minFreq && !reserved.has(w))
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, Math.max(0, maxSize - reserved.size))
      .map(([w]) => w);
    return new Vocabulary([PAD, UNK, ...specials, ...kept]);
  }

  /** The id of a token (unknown → 1). */
  id(token: string): number {
    return this.index.get(token) ?? 1;
  }

  /** Whether the token is in the vocabulary. */
  has(token: string): boolean {
    return this.index.has(token);
  }

  /** Tokens of ids (out-of-range ids → <unk>). */
  decode(ids: number[]): string[] {
    return ids.map((i) => this.tokens[i] ?? UNK);
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
