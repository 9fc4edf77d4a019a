/**
 * Bidirectional wrapper: `bidirectional({layer: lstm({units: 32}), mergeMode: 'concat'})`.
 *
 * Wraps an unbuilt recurrent layer of this package: the result has the wrapped
 * layer's configuration plus a reverse-direction cell per layer. For a stacked
 * layer, layer k > 0 reads both directions of layer k − 1 (PyTorch's
 * `bidirectional=True` semantics). The reverse direction starts at each
 * sequence's last real token when a mask or lengths are given.
 */
import * as tf from '@tensorflow/tfjs';
import { MergeMode, RecurrentLayer, RecurrentLayerArgs } from './recurrent_layer';

export interface BidirectionalArgs {
  /** The recurrent layer to run in both directions (not yet built). */
  layer: RecurrentLayer;
  /** How the two directions' outputs are combined. Default 'concat'. */
  mergeMode?: MergeMode;
  /** Layer name. */
  name?: string;
  /** Keras-style input shape [time, features]. */
  inputShape?: (number | null)[];
  /** Keras-style batch input shape (what a saved model's config carries). */
  batchInputShape?: (number | null)[];
  /** Whether the weights are trainable. Default true. */
  trainable?: boolean;
}

export class Bidirectional extends RecurrentLayer {
  static override className = 'rnnkit.Bidirectional';
  /** The class name of the wrapped layer, for getConfig. */
  private readonly innerClassName: string;

  constructor(args: BidirectionalArgs) {
    if (!(args.layer instanceof RecurrentLayer)) {
      throw new Error(`bidirectional: 'layer' must be a recurrent layer of this package (lstm, gru, simpleRnn, stacked)`);
    }
    if (args.layer.built) throw new Error(`bidirectional: layer '${args.layer.name}' is already built; wrap a fresh layer`);
    const inner = args.layer.args;
    if (inner.bidirectional) throw new Error(`bidirectional: layer '${args.layer.name}' is already bidirectional`);
    if (inner.reverse) throw new Error(`bidirectional: layer '${args.layer.name}' has reverse: true; wrap a forward layer`);
    super({
      ...(inner as RecurrentLayerArgs),
      bidirectional: true,
      mergeMode: args.mergeMode ?? 'concat',
      name: args.name ?? `bidirectional_${args.layer.name}`,
      inputShape: args.inputShape ?? (args.batchInputShape || !args.layer.batchInputShape ? undefined : args.layer.batchInputShape.slice(1)),
      batchInputShape: args.batchInputShape,
      trainable: args.trainable,
    });
    this.innerClassName = (args.layer.constructor as typeof RecurrentLayer).className;
  }

  override getConfig(): tf.serialization.ConfigDict {
    const { mergeMode, bidirectional, ...innerArgs } = this.args;
    void bidirectional;
    const base = super.getConfig();
    return {
      name: base.name,
      trainable: base.trainable,
      batchInputShape: base.batchInputShape,
      dtype: base.dtype,
      mergeMode,
      layer: { className: this.innerClassName, config: innerArgs as unknown as tf.serialization.ConfigDict },
    } as tf.serialization.ConfigDict;
  }

  static override fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>,
    config: tf.serialization.ConfigDict,
  ): T {
    const layerCfg = config.layer as unknown as { className: string; config: RecurrentLayerArgs };
    const entry = tf.serialization.SerializationMap.getMap().classNameMap[layerCfg.className];
    if (!entry) throw new Error(`bidirectional: unknown wrapped layer class '${layerCfg.className}'`);
    const InnerClass = entry[0] as unknown as new (args: RecurrentLayerArgs) => RecurrentLayer;
    const inner = new InnerClass({ ...layerCfg.config, name: `${String(config.name)}_inner` });
    const { layer: _l, ...rest } = config as { layer: unknown } & tf.serialization.ConfigDict;
    void _l;
    return new cls({ ...(rest as object), layer: inner } as never);
  }
}
tf.serialization.registerClass(Bidirectional);

/** A layer that builds its own bidirectional form (ConvLSTM2D: its states are not [B, H] rows). */
export interface SelfBidirectional<L> {
  toBidirectional(opts: Omit<BidirectionalArgs, 'layer'>): L;
}

export function bidirectional(args: BidirectionalArgs): Bidirectional;
export function bidirectional<L>(args: Omit<BidirectionalArgs, 'layer'> & { layer: SelfBidirectional<L> }): L;
export function bidirectional<L>(args: BidirectionalArgs | (Omit<BidirectionalArgs, 'layer'> & { layer: SelfBidirectional<L> })): Bidirectional | L {
  const { layer, ...opts } = args;
  if (!(layer instanceof RecurrentLayer) && typeof (layer as Partial<SelfBidirectional<L>>).toBidirectional === 'function') return (layer as SelfBidirectional<L>).toBidirectional(opts);
  return new Bidirectional(args as BidirectionalArgs);
}
