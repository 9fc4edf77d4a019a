/** Word vectors shared by the tasks: the in-memory table, file formats, evaluation, seeding embedding layers. */
export { WordVectors, fillEmbeddingRows } from './word_vectors';
export type { Neighbour } from './word_vectors';
export { decodeVectors, encodeBin, encodeGlove, encodeVec, float32ToString, readVectors, VECTOR_FORMATS, writeVectors } from './formats';
export type { ReadVectorsOptions, VectorFormat } from './formats';
export { evaluateAnalogies, evaluateSimilarity, readAnalogyFile, readSimilarityFile, spearman } from './evaluate';
export { asPretrained, isVectorFile, loadPretrained, seedFromVectors } from './pretrained';
export type { AnalogyQuestion, AnalogyResult, SimilarityPair, SimilarityResult } from './evaluate';
