#!/usr/bin/env node
// Rewrites README.md's command-line reference from the task registry (npm run docs; needs dist/).
const fs = require('fs');
const path = require('path');
const { cliReference, replaceReference } = require('../dist/cli/docs.js');

(async () => {
  const file = path.join(__dirname, '..', 'README.md');
  const before = fs.readFileSync(file, 'utf8');
  const after = replaceReference(before, await cliReference());
  if (after !== before) fs.writeFileSync(file, after);
  process.stdout.write(after === before ? 'README.md: CLI reference up to date\n' : 'README.md: CLI reference rewritten\n');
})().catch((e) => {
  process.stderr.write(`cli-docs: ${e.message}\n`);
  process.exit(1);
});
