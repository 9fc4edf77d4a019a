/**
 * An imported ONNX graph as one tfjs layer, so that it lives in a tf.LayersModel:
 * trained by this package's `train()` (or any tfjs loop), saved and loaded as a
 * model.json like every other model. Its weights are those of the layers importOnnx
 * made (embedding, the recurrent layers, dense), under their own names; the layer's
 * config carries the ONNX file it rebuilds the graph from (hex: tfjs rewrites the
 * case of strings in saved configs, which base64 would not survive), and loading a
 * saved model then overwrites the file's weights with the saved ones.
 *
 * Example:
 *   const model = onnxToLayersModel(fs.readFileSync('text_classifier.onnx'));
 *   model.predict(ids);                       // [B, 3] log-probabilities
 *   await saveModel(model, 'runs/imported');  // model.json + weights.bin
 */
import * as tf from '@tensorflow/tfjs';
import { OnnxModel, importOnnx } from './import';

export interface OnnxGraphArgs {
  /** The ONNX file, hex. */
  onnx: string;
  /** Layer name. */
  name?: string;
  /** Whether the weights are trainable. Default true. */
  trainable?: boolean;
}

export class OnnxGraph extends tf.layers.Layer {
  static className = 'rnnkit.OnnxGraph';
  readonly graph: OnnxModel;
  private readonly onnxHex: string;

  constructor(args: OnnxGraphArgs) {
    super({ name: args.name, trainable: args.trainable });
    this.onnxHex = args.onnx;
    this.graph = importOnnx(new Uint8Array(Buffer.from(args.onnx, 'hex')), `ONNX graph layer '${this.name}'`);
    // The graph's layers own the variables; this layer reports them as its own.
    this.trainableWeights = this.graph.layers.flatMap((l) => l.trainableWeights);
    this.nonTrainableWeights = this.graph.layers.flatMap((l) => l.nonTrainableWeights);
    this.built = true;
  }

  override build(): void {
    this.built = true;
  }

  override computeOutputShape(): tf.Shape | tf.Shape[] {
    const shapes = this.graph.outputs.map((o) => o.shape as tf.Shape);
    return shapes.length === 1 ? shapes[0] : shapes;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { [key: string]: unknown }): tf.Tensor | tf.Tensor[] {
    const xs = Array.isArray(inputs) ? inputs : [inputs];
    const feeds = Object.fromEntries(this.graph.inputs.map((info, i) => [info.name, xs[i]]));
    const out = this.graph.run(feeds, { training: kwargs.training === true });
    const list = this.graph.outputs.map((o) => out[o.name]);
    return list.length === 1 ? list[0] : list;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), onnx: this.onnxHex };
  }
}
tf.serialization.registerClass(OnnxGraph);

/**
 * An ONNX file as a tf.LayersModel: one input per graph input (same names, dtypes and
 * shapes), the OnnxGraph layer, one output per graph output.
 */
export function onnxToLayersModel(bytes: Uint8Array, name = 'onnx_model'): tf.LayersModel {
  const layer = new OnnxGraph({ onnx: Buffer.from(bytes).toString('hex'), name: `${name}_graph` });
  const inputs = layer.graph.inputs.map((info) => tf.input({ batchShape: info.shape, dtype: info.dtype, name: info.name }));
  const out = layer.apply(inputs.length === 1 ? inputs[0] : inputs) as tf.SymbolicTensor | tf.SymbolicTensor[];
  return tf.model({ inputs, outputs: out, name });
}
