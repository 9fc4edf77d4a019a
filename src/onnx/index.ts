/** ONNX interop: import (ONNX → this package's layers), export (layers and models → ONNX), onnxruntime inference. */
export { importOnnx, OnnxModel } from './import';
export type { OnnxFeeds, OnnxValueInfo } from './import';
export { exportModel, exportRecurrentLayer, onnxInputNames } from './export';
export type { ModelExportOptions, RecurrentExportOptions } from './export';
// The emitter table: a custom layer class registers its ONNX nodes by class name.
export { registerEmitter } from './emitters';
export type { LayerEmitter } from './emitters';
export { loadOnnxRuntime, onnxRuntimeAvailable, OnnxRuntimeSession, runOnnx, ONNXRUNTIME_INSTALL } from './onnxruntime';
export type { OnnxRuntimeFeeds, OnnxRuntimeOptions } from './onnxruntime';
export { SyncOnnxSession } from './sync_session';
export { onnxRuntimeModel, useOnnxRuntime } from './engine';
export { OnnxGraph, onnxToLayersModel } from './graph_layer';
export type { OnnxGraphArgs } from './graph_layer';
