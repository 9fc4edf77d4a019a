/**
 * The training engine: loop, optimizers, schedules, clipping, checkpoints,
 * truncated BPTT, worker replicas, and the options every task shares. Tasks import
 * the engine from here only (the dependency rules check it). Next: train.ts (the
 * loop) and types.ts (its contract).
 */
export { train } from './train';
export type { TrainSpec, TrainOptions, TrainResult, StepInfo, EpochInfo, LogRecord, Metrics, MetricMode, StopFlag, CarriedTensors, DataParallel, Replica, ReplicaSource } from './types';
export { TrainingDivergedError, CheckpointMismatchError, WorkerCrashedError } from './errors';
export { ReplicaPool, shardRows, shardRange, shardSeed } from './parallel';
export { startScriptWorker, workerScript } from './worker_script';
export { StopSignal } from './stop';
export { mixSeed, stepSeed, seededPermutation } from './rng';
export { makeOptimizer, setLearningRate, getLearningRate, OPTIMIZERS } from './optimizers';
export type { OptimizerName, OptimizerOptions } from './optimizers';
export { LrSchedule, SCHEDULES } from './schedules';
export type { ScheduleName, ScheduleOptions, ScheduleState } from './schedules';
export { clipByGlobalNorm, clipByValue, globalNorm } from './clip';
export { lossAndGrads } from './grads';
export {
  saveCheckpoint, loadCheckpoint, resolveCheckpoint, readArtifacts, readConfig, readTrainingState,
  restoreModelWeights, restoreOptimizer, readCarried, CHECKPOINT_FORMAT,
  verifyCheckpoint, checkResumeOptions, artifactList, expectArtifactSize, expectArtifactValue, outputUnits, embeddingRows, embeddingRowsOf, inputSize,
} from './checkpoint';
export type { Checkpoint, CheckpointContents, TrainingState } from './checkpoint';
// The options every task shares (a task's config is CommonConfig & its own) and engineOptions().
export { COMMON_DEFAULTS, COMMON_OPTIONS, engineOptions } from './common';
export type { CommonConfig, TaskHooks, TaskOption } from './common';
export { tbpttChunks, tbpttStep, truncatedBptt, CarriedStates } from './tbptt';
export type { TbpttStepResult, TruncatedBpttOptions, ChunkInfo } from './tbptt';
