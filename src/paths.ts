/** Locations inside the installed package (works from src/ under ts-jest and from dist/). */
import * as fs from 'fs';
import * as path from 'path';

/** The package root: the nearest ancestor of this file holding rnnkit's package.json. */
export function packageRoot(): string {
  let dir = __dirname;
  for (;;) {
    const pj = path.join(dir, 'package.json');
    if (fs.existsSync(pj) && (JSON.parse(fs.readFileSync(pj, 'utf8')) as { name?: string }).name === 'rnnkit') return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error('cannot locate the rnnkit package root');
    dir = up;
  }
}

/** A bundled data set under the package's data/ folder. */
export function bundledData(...parts: string[]): string {
  return path.join(packageRoot(), 'data', ...parts);
}
