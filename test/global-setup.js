// Builds dist/ once before the suite: the package, CLI and ESM tests run the
// compiled code exactly as a user installing the package would.
const { execFileSync } = require('child_process');
const path = require('path');

module.exports = async () => {
  if (process.env.RNNKIT_SKIP_BUILD === '1') return;
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: path.resolve(__dirname, '..'), stdio: 'inherit' });
};
