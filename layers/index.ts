/**
 * rnnkit layers: hand-written recurrent layers for TensorFlow.js. Browser-safe:
 * this folder imports only @tensorflow/tfjs (the dependency rules check it).
 * A reader starts at cell.ts (the cell contract), then lstm_cell.ts and
 * recurrent_layer.ts (the layer that unrolls cells).
 */
export { WASM_FALLBACK_KERNELS, CPU_REPLACED_KERNELS, registerRnnkitKernels, unregisterRnnkitKernels } from './kernels';
export { RecurrentCell, runAutodiff } from './cell';
export type { AddWeight, CellOptions, Implementation, StepResult } from './cell';
export { LSTMCell } from './lstm_cell';
export type { LSTMCellOptions } from './lstm_cell';
export { GRUCell } from './gru_cell';
export type { GRUCellOptions } from './gru_cell';
export { SimpleRNNCell } from './simple_rnn_cell';
export type { RnnActivation, SimpleRNNCellOptions } from './simple_rnn_cell';
export { RecurrentLayer, stacked } from './recurrent_layer';
export type { CellKind, MergeMode, RecurrentLayerArgs } from './recurrent_layer';
export { LSTM, lstm } from './lstm';
export type { LSTMArgs } from './lstm';
export { GRU, gru } from './gru';
export type { GRUArgs } from './gru';
export { SimpleRNN, simpleRnn } from './simple_rnn';
export type { SimpleRNNArgs } from './simple_rnn';
export { Bidirectional, bidirectional } from './bidirectional';
export type { BidirectionalArgs } from './bidirectional';
export { loadTorchWeights, exportTorchWeights, toTorchLayout, fromTorchStates, toTorchStates, shortWeightName } from './torch_weights';
export type { TorchValue, TorchStateDict, LoadTorchWeightsOptions } from './torch_weights';
export { makeInitializer, orthogonalValues, glorotUniformValues } from './initializers';
export type { InitializerName } from './initializers';
export { SeededRandom, seedDropout, nextDropoutSeed } from './random';
export { Embedding, embedding, embeddingLookup } from './embedding';
export type { EmbeddingArgs } from './embedding';
export { SeededDropout, seededDropout } from './dropout';
export { MaskedPooling, maskedPooling } from './pooling';
export type { PoolingMode } from './pooling';
export { RowGather, rowGather } from './row_gather';
export { Attention, attention, maskedSoftmax, type AttentionArgs, type AttentionScore } from './attention';
export { plainMatMul } from './plain_matmul';
export { PaddingMask, paddingMask } from './padding_mask';
export { ConvLSTM2D, convLstm2d, ConvLSTM2DCell, type ConvLSTM2DArgs, type ConvMergeMode, type ConvRecurrentActivation, type ConvPadding } from './conv_lstm2d';
