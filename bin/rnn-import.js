#!/usr/bin/env node
// Entry point of `rnn-import` (compiled code in dist/, built by `npm run build`).
const { runMain } = require('../dist/cli/run.js');
const { main } = require('../dist/cli/import.js');
runMain('rnn-import', () => main(process.argv.slice(2)));
