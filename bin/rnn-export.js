#!/usr/bin/env node
// Entry point of `rnn-export` (compiled code in dist/, built by `npm run build`).
const { runMain } = require('../dist/cli/run.js');
const { main } = require('../dist/cli/export.js');
runMain('rnn-export', () => main(process.argv.slice(2)));
