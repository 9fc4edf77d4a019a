#!/usr/bin/env node
// Entry point of `rnn-train` (compiled code in dist/, built by `npm run build`).
const { runMain } = require('../dist/src/cli/run.js');
const { main } = require('../dist/src/cli/train.js');
runMain('rnn-train', () => main(process.argv.slice(2)));
