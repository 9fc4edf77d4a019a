/**
 * rnnkit public API (Node entry): the layers, backends, Node IO, the training
 * engine, the task contract, reports and ONNX. The layers alone (browser-safe)
 * are 'rnnkit/layers' (layers/index.ts); the bundled tasks are 'rnnkit/tasks'
 * (tasks/index.ts). A reader goes on to layers/index.ts or src/train/index.ts.
 */
export * from '../layers';
export { selectBackend, currentBackend, BackendError, BACKENDS } from './backend';
export type { BackendName } from './backend';
export { fileSystem, saveModel, loadModel, writeFileAtomic, readModelArtifacts, writeModelArtifacts, registerFileSystemRouter } from './io/fs_handler';
export * from './train';
// The task contract: every pipeline (sentiment, pos, charlm, ...) is a Task. The registry of
// the bundled tasks is its own entry, 'rnnkit/tasks' (tasks/index.ts), one floor up.
export { defineTask } from './task';
export { readTaskArtifacts, noteSink, bestOrLastDir, hasBest } from './task_artifacts';
export type { NoteSink } from './task_artifacts';
export type { Task, TaskConfig, TaskResult, TaskFigure, TaskPredictor, PredictIO } from './task';
// Reports (rnn-train --report) and the gradient-flow diagnostic (rnn-diagnose gradients).
export { writeHtmlReport, vegaLiteToSvg, confusionMatrixFigure } from './report';
export type { ReportInput, ReportStep } from './report';
export { gradientFlow, gradientReach, byDistance } from './diagnostics/gradient_flow';
export type { GradientFlowInput, GradientFlowResult, GradientSeries } from './diagnostics/gradient_flow';
// ONNX (export, import, onnxruntime inference) and tfjs-layers / Keras model.json loading.
export * from './onnx';
export { loadTfjsLayersModel, convertTfjsArtifacts } from './interop/tfjs_layers';
export type { TfjsImportReport } from './interop/tfjs_layers';
export * from './interop/safetensors';
