'use strict';
/**
 * The benchmark's data-parallel replica (rows with "workers" > 1): the case's
 * project model and a mean-square loss over rows [start, end) of a fixed random
 * input, for the engine's ReplicaPool (dist/src/train/parallel.js). A shard is
 * { start, end }, so only two numbers travel per step besides the shared buffers.
 */
const path = require('path');

/** Mean of y² over the shard's output sequence (the loss of the 1-worker rows, on a slice of the batch). */
function shardLoss(tf, model, x) {
  return (b) => tf.tidy(() => tf.mean(tf.square(model.apply(tf.slice(x, [b.start], [b.end - b.start]), { training: true }))));
}

/** Builder required by each worker: { c: case, implementation, gruResetAfter, seed }. */
function buildReplica(args) {
  const tf = require('@tensorflow/tfjs');
  const R = require(path.join(__dirname, '..', 'dist', 'src', 'index.js'));
  const { projectModel } = require('./models');
  const { c, implementation, gruResetAfter, seed } = args;
  const model = projectModel(tf, R, c, implementation, { gruResetAfter });
  const x = tf.randomNormal([c.B, c.T, c.D], 0, 1, 'float32', seed);
  return { model, loss: shardLoss(tf, model, x) };
}

module.exports = { buildReplica, shardLoss };
