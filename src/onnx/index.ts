/** ONNX interop: import (ONNX → this package's layers), export (layers and models → ONNX), onnxruntime inference. */
export { importOnnx, OnnxModel } from './import';
export type { OnnxFeeds, OnnxValueInfo } from './import';
