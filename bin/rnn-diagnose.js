#!/usr/bin/env node
// Entry point of `rnn-diagnose` (compiled code in dist/, built by `npm run build`).
const { runMain } = require('../dist/src/cli/run.js');
const { main } = require('../dist/src/cli/diagnose.js');
runMain('rnn-diagnose', () => main(process.argv.slice(2)));
