/**
 * The onnxruntime engine for prediction: a tf.LayersModel whose `predict` runs the
 * same model, exported with exportModel, in onnxruntime-node (synchronously, through
 * SyncOnnxSession), and `useOnnxRuntime(predictor)`, which swaps a task predictor's
 * `model` for it. What `rnn-predict --engine onnxruntime` calls after `task.load(dir)`.
 *
 * Works for predictors that call `this.model.predict` (sentiment, POS, timeseries), and
 * for predictors with their own `useOnnxRuntime(options)`: the translator runs its
 * greedy decoding graph, the language model steps its stateful graph.
 */
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors';
import { exportModel, onnxInputNames } from './export';
import { OnnxRuntimeOptions } from './onnxruntime';
import { SyncOnnxSession } from './sync_session';

/** `model` with `predict` / `predictOnBatch` (and `apply` on tensors, not training) run by onnxruntime-node; everything else is the tfjs model. */
export function onnxRuntimeModel(model: tf.LayersModel, options: OnnxRuntimeOptions = {}): tf.LayersModel {
  let bytes: Uint8Array;
  try {
    bytes = exportModel(model);
  } catch (e) {
    throw new UserError(`--engine onnxruntime: the model cannot be exported to ONNX (${(e as Error).message})`);
  }
  const session = new SyncOnnxSession(bytes, options);
  const names = onnxInputNames(model);
  const outNames = model.outputs.length === 1 ? ['output'] : model.outputs.map((_, i) => `output_${i}`);
  const predict = (x: tf.Tensor | tf.Tensor[]): tf.Tensor | tf.Tensor[] => {
    const xs = Array.isArray(x) ? x : [x];
    if (xs.length !== names.length) throw new Error(`onnxruntime: the model takes ${names.length} input(s) (${names.join(', ')}), got ${xs.length}`);
    const outs = session.run(Object.fromEntries(names.map((n, i) => [n, xs[i]])));
    const list = outNames.map((n) => outs[n]);
    return list.length === 1 ? list[0] : list;
  };
  // apply() on tensors (not symbolic inputs) is inference too: predictors call it to skip predict's batching (POS).
  const apply = (x: tf.Tensor | tf.Tensor[] | tf.SymbolicTensor | tf.SymbolicTensor[], kwargs?: Record<string, unknown>): unknown => {
    const first = Array.isArray(x) ? x[0] : x;
    if (first instanceof tf.Tensor && kwargs?.training !== true) return predict(x as tf.Tensor | tf.Tensor[]);
    return model.apply(x as tf.Tensor, kwargs);
  };
  return new Proxy(model, {
    get(target, prop, receiver) {
      if (prop === 'predict' || prop === 'predictOnBatch') return predict;
      if (prop === 'apply') return apply;
      if (prop === 'dispose') {
        return () => {
          session.dispose();
          return target.dispose();
        };
      }
      return Reflect.get(target, prop, receiver);
    },
  });
}

/**
 * Swaps a task predictor's `model` (a tf.LayersModel) for `onnxRuntimeModel(model)`;
 * returns the predictor. A UserError when onnxruntime-node is missing (with how to
 * install it), when the predictor has no such model, or when the model has no ONNX form.
 */
export function useOnnxRuntime<T extends object>(predictor: T, options: OnnxRuntimeOptions = {}): T {
  const own = (predictor as { useOnnxRuntime?: (o: OnnxRuntimeOptions) => unknown }).useOnnxRuntime;
  if (typeof own === 'function') {
    // A predictor that decodes step by step brings its own graph (the translator: greedy decoding in one ONNX Loop).
    try {
      own.call(predictor, options);
    } catch (e) {
      if (e instanceof UserError) throw e;
      throw new UserError(`--engine onnxruntime: the model cannot be exported to ONNX (${(e as Error).message})`);
    }
    return predictor;
  }
  const model = (predictor as { model?: unknown }).model;
  if (!(model instanceof tf.LayersModel)) {
    throw new UserError(`--engine onnxruntime: this task's predictor has no tf.LayersModel 'model' for onnxruntime to run (use --engine tfjs)`);
  }
  Object.defineProperty(predictor, 'model', { value: onnxRuntimeModel(model, options), writable: true, configurable: true, enumerable: true });
  return predictor;
}
