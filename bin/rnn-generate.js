#!/usr/bin/env node
// Entry point of `rnn-generate` (compiled code in dist/, built by `npm run build`).
const { runMain } = require('../dist/src/cli/run.js');
const { main } = require('../dist/src/cli/generate.js');
runMain('rnn-generate', () => main(process.argv.slice(2)));
