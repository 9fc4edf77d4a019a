#!/usr/bin/env node
// `npm run lint:deps`: checks the import rules of .dependency-cruiser.js (floors
// bin → cli → tasks → src → layers, no cycles, no test code in the package) over
// the package and bench/, prints one line per violation and exits 1 when there is
// any. Uses dependency-cruiser's API because its command line refuses Node 20,
// the oldest Node this package supports; the API itself runs on it.
//
//   node scripts/check-deps.mjs [--warnings] [--root DIR] [dir-or-file ...]
//   (default: the package, bench/ and scripts/ of this repository)
import * as fs from 'fs';
import { createRequire } from 'module';
import * as path from 'path';
import { fileURLToPath } from 'url';
import { cruise } from 'dependency-cruiser';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const config = createRequire(import.meta.url)(path.join(repo, '.dependency-cruiser.js'));
const args = process.argv.slice(2);
const listWarnings = args.includes('--warnings');
// --root DIR checks another tree laid out like this one with these rules (the rules' own test does).
const rootAt = args.indexOf('--root');
const root = rootAt >= 0 ? path.resolve(args[rootAt + 1]) : repo;
const paths = args.filter((a, i) => a !== '--warnings' && i !== rootAt && i !== rootAt + 1);
process.chdir(root);
const targets = paths.length ? paths : ['layers', 'src', 'tasks', 'cli', 'bin', 'bench', 'scripts'].filter((d) => fs.existsSync(d));
const { tsConfig, ...options } = config.options;
const result = await cruise(
  targets,
  { ...options, validate: true, ruleSet: { forbidden: config.forbidden }, outputType: 'json' },
  {},
  fs.existsSync(path.join(root, tsConfig.fileName)) ? { tsConfig: { fileName: path.join(root, tsConfig.fileName) } } : {},
);
const { summary } = JSON.parse(result.output);
const errors = summary.violations.filter((v) => v.rule.severity === 'error');
for (const v of summary.violations.filter((v) => v.rule.severity === 'error' || listWarnings)) {
  const to = v.cycle ? v.cycle.map((c) => (typeof c === 'string' ? c : c.name)).join(' → ') : v.to;
  process.stdout.write(`${v.rule.severity === 'error' ? '' : 'warning '}${v.rule.name}: ${v.from} → ${to}\n`);
}
const warnings = summary.violations.filter((v) => v.rule.severity === 'warn');
const warned = [...new Set(warnings.map((v) => v.rule.name))];
process.stdout.write(
  `lint:deps: ${summary.totalCruised} modules, ${summary.totalDependenciesCruised} dependencies, ${errors.length} violation${errors.length === 1 ? '' : 's'}` +
    (warnings.length ? ` (and ${warnings.length} warning${warnings.length === 1 ? '' : 's'}: ${warned.join(', ')}; \`node scripts/check-deps.mjs --warnings\` lists them)` : '') +
    '\n',
);
process.exit(errors.length ? 1 : 0);
