#!/usr/bin/env node
// Entry point of `rnn-predict` (compiled code in dist/, built by `npm run build`).
const { runMain } = require('../dist/cli/run.js');
const { main } = require('../dist/cli/predict.js');
runMain('rnn-predict', () => main(process.argv.slice(2)));
