/**
 * Jest environment for the onnxruntime tests: jest's node environment with the host's
 * typed-array constructors. onnxruntime-node's native binding creates its output
 * tensors' data in the host realm and onnxruntime-common checks it with `instanceof`
 * against the sandbox's constructors, which fails ("A float32 tensor's data must be
 * type of Float32Array") unless both realms share them.
 */
const NodeEnvironment = require('jest-environment-node').TestEnvironment;

const SHARED = [
  'ArrayBuffer', 'SharedArrayBuffer', 'DataView', 'Float32Array', 'Float64Array', 'Int8Array', 'Int16Array', 'Int32Array',
  'Uint8Array', 'Uint8ClampedArray', 'Uint16Array', 'Uint32Array', 'BigInt64Array', 'BigUint64Array',
];

class OnnxRuntimeEnvironment extends NodeEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of SHARED) this.global[name] = globalThis[name];
  }
}

module.exports = OnnxRuntimeEnvironment;
