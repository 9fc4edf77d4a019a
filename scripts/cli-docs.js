#!/usr/bin/env node
// Rewrites docs/cli.md's command-line reference from the task registry (npm run docs; needs dist/).
// test/docs/cli_reference.test.ts fails when the file drifts from the registry.
const fs = require('fs');
const path = require('path');
const { cliReference, replaceReference } = require('../dist/cli/docs.js');

(async () => {
  const file = path.join(__dirname, '..', 'docs', 'cli.md');
  const before = fs.readFileSync(file, 'utf8');
  const after = replaceReference(before, await cliReference());
  if (after !== before) fs.writeFileSync(file, after);
  process.stdout.write(after === before ? 'docs/cli.md: CLI reference up to date\n' : 'docs/cli.md: CLI reference rewritten\n');
})().catch((e) => {
  process.stderr.write(`cli-docs: ${e.message}\n`);
  process.exit(1);
});
