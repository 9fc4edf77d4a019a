/**
 * The dependency rules of the package (run by `npm run lint:deps`, which is
 * scripts/check-deps.mjs, in .ci/run before the tests). Imports point down only:
 *
 *   bin → cli → tasks → src → layers → @tensorflow/tfjs
 *
 * plus: no cycles anywhere (package and bench/), tasks reach the engine through
 * src/train/index.ts, and nothing the package ships imports test code or a
 * test-only (devDependency) package. Type-only imports count (tsPreCompilationDeps).
 * See DESIGN.md "Layout" for why.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Import cycles hide the order modules initialise in; break them by moving the shared piece down a floor.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'layers-import-only-tfjs',
      severity: 'error',
      comment: 'layers/ is the browser-safe floor: it imports @tensorflow/tfjs and itself, nothing else (no Node built-ins, no src/).',
      from: { path: '^layers/' },
      to: { pathNot: ['^layers/', '^node_modules/@tensorflow/tfjs/'] },
    },
    {
      name: 'src-not-up',
      severity: 'error',
      comment: 'src/ (the runtime the tasks build on) never imports tasks/, cli/ or bin/.',
      from: { path: '^src/' },
      to: { path: '^(tasks|cli|bin)/' },
    },
    {
      name: 'tasks-not-up',
      severity: 'error',
      comment: 'tasks/ never imports cli/ or bin/: the CLI is built from the registry, not the other way round.',
      from: { path: '^tasks/' },
      to: { path: '^(cli|bin)/' },
    },
    {
      name: 'cli-not-up',
      severity: 'error',
      comment: 'cli/ never imports bin/ (the launchers).',
      from: { path: '^cli/' },
      to: { path: '^bin/' },
    },
    {
      name: 'tasks-use-the-engine-index',
      severity: 'error',
      comment: 'Tasks reach the training engine through src/train/index.ts, not its inner files.',
      from: { path: '^tasks/' },
      to: { path: '^src/train/', pathNot: '^src/train/index\\.ts$' },
    },
    {
      name: 'no-test-code-in-the-package',
      severity: 'error',
      comment: 'What the package ships (layers, src, tasks, cli, bin) imports nothing from test/.',
      from: { path: '^(layers|src|tasks|cli|bin)/' },
      to: { path: '^test/' },
    },
    {
      name: 'no-dev-only-packages-in-the-package',
      severity: 'error',
      comment: 'A devDependency is not installed for users; @tensorflow/tfjs (a peer) and onnxruntime-node (loaded lazily, optional) are the exceptions.',
      from: { path: '^(layers|src|tasks|cli|bin)/' },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['npm-peer', 'npm-optional'], pathNot: '^node_modules/onnxruntime-node/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|node_modules)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    moduleSystems: ['cjs', 'es6'],
  },
};
