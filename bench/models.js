'use strict';
/**
 * The benchmark's models for one case (bench/configs.js makeCases): the project's
 * layer (projectModel, plugged into the harness here only) and the equivalent
 * tfjs-layers model. Used by run.js, the worker replicas (replica.js) and
 * step_profile.js; the timing harness is run.js.
 */
const path = require('path');

/** The project's layers (built code). */
function loadProject() {
  try {
    return require(path.join(__dirname, '..', 'dist', 'src', 'index.js'));
  } catch (e) {
    throw new Error(`cannot load the built project from dist/ (run \`npm run build\` or use \`npm run bench\`): ${e.message.split('\n')[0]}`);
  }
}

// Initial weight values do not change the cost of dense matmuls; glorotUniform
// avoids the slow orthogonal initializer (a QR per model) in the recurrent kernel.
const RECURRENT_INIT = 'glorotUniform';

/**
 * The project's model for a case: a tf.sequential with one rnnkit layer.
 * This is the one place the project's layers are plugged into the harness.
 */
function projectModel(tf, R, c, implementation, o) {
  const common = {
    units: c.H,
    returnSequences: true,
    implementation,
    inputShape: [c.T, c.D],
    recurrentInitializer: RECURRENT_INIT,
  };
  let layer;
  if (c.layers > 1 || c.bidirectional) {
    layer = R.stacked({ ...common, cell: c.base, numLayers: c.layers, bidirectional: c.bidirectional, resetAfter: o.gruResetAfter });
  } else if (c.base === 'lstm') {
    layer = R.lstm(common);
  } else if (c.base === 'gru') {
    layer = R.gru({ ...common, resetAfter: o.gruResetAfter });
  } else {
    layer = R.simpleRnn(common);
  }
  return tf.sequential({ layers: [layer] });
}

/** The equivalent tfjs-layers model (sigmoid recurrent activation; GRU without reset_after). */
function tfjsLayersModel(tf, c) {
  const make = (extra = {}) => {
    const args = { units: c.H, returnSequences: true, recurrentInitializer: RECURRENT_INIT, ...extra };
    if (c.base === 'lstm') return tf.layers.lstm({ ...args, recurrentActivation: 'sigmoid' });
    if (c.base === 'gru') return tf.layers.gru({ ...args, recurrentActivation: 'sigmoid' });
    return tf.layers.simpleRNN(args);
  };
  const inputShape = [c.T, c.D];
  const layers = [];
  for (let k = 0; k < c.layers; k++) {
    const first = k === 0 ? { inputShape } : {};
    layers.push(c.bidirectional ? tf.layers.bidirectional({ layer: make(), mergeMode: 'concat', ...first }) : make(first));
  }
  return tf.sequential({ layers });
}

module.exports = { loadProject, projectModel, tfjsLayersModel, RECURRENT_INIT };
