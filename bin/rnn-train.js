#!/usr/bin/env node
// Entry point of `rnn-train` (compiled code in dist/, built by `npm run build`).
const { runMain } = require('../dist/cli/run.js');
const { main } = require('../dist/cli/train.js');
runMain('rnn-train', () => main(process.argv.slice(2)));
