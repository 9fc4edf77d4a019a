/**
 * A simple English word tokenizer: lowercases, keeps words with inner
 * apostrophes or hyphens ("don't", "well-made"), numbers, and punctuation marks as
 * their own tokens.
 */
const TOKEN = /[\p{L}\p{N}]+(?:['’\-][\p{L}\p{N}]+)*|[^\s\p{L}\p{N}]/gu;

export function tokenize(text: string): string[] {
  return text.toLowerCase().match(TOKEN) ?? [];
}
