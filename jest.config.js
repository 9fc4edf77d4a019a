/** @type {import('jest').Config} */
module.exports = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // Numerical tests unroll graphs on the slow cpu backend; CLI tests spawn processes.
  testTimeout: 120000,
  // Two cores: run two test files at once.
  maxWorkers: 2,
  // Compile dist/ once (package, CLI and ESM tests run the built code); RNNKIT_SKIP_BUILD=1 skips it.
  globalSetup: '<rootDir>/test/global-setup.js',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', isolatedModules: true }] },
};
