#!/usr/bin/env node
// Entry point of `rnn-diagnose` (compiled code in dist/, built by `npm run build`).
const { runMain } = require('../dist/cli/run.js');
const { main } = require('../dist/cli/diagnose.js');
runMain('rnn-diagnose', () => main(process.argv.slice(2)));
