/** The training engine: loop, optimizers, schedules, clipping, checkpoints, truncated BPTT. */
export { train, TrainingDivergedError, mixSeed } from './train';
export type { TrainOptions, TrainResult, StepInfo, EpochInfo } from './train';
export type { TrainSpec, Metrics } from './types';
export { makeOptimizer, setLearningRate, OPTIMIZERS } from './optimizers';
export type { OptimizerName, OptimizerOptions } from './optimizers';
export { LrSchedule, SCHEDULES } from './schedules';
export type { ScheduleName, ScheduleOptions } from './schedules';
export { clipByGlobalNorm, clipByValue, globalNorm } from './clip';
export { saveCheckpoint, loadCheckpoint, resolveCheckpoint, readArtifacts } from './checkpoint';
export type { Checkpoint, TrainingState } from './checkpoint';
export { tbpttChunks, tbpttStep } from './tbptt';
export type { TbpttStepResult } from './tbptt';
