#!/usr/bin/env node
// Entry point of `rnn-generate` (compiled code in dist/, built by `npm run build`).
const { runMain } = require('../dist/cli/run.js');
const { main } = require('../dist/cli/generate.js');
runMain('rnn-generate', () => main(process.argv.slice(2)));
