/** Small train/dev/test directories cut from the bundled sentiment data (tests only). */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const root = path.resolve(__dirname, '..', '..');

/** A fresh directory with the first `train` sentences of data/sentiment/train.tsv as train.tsv, the next `dev` as dev.tsv, the next `test` as test.tsv (each with the header). */
export function sentimentSlice(train: number, dev: number, test: number): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-sentiment-slice-'));
  const [header, ...rows] = fs.readFileSync(path.join(root, 'data', 'sentiment', 'train.tsv'), 'utf8').split('\n');
  const write = (name: string, from: number, n: number): void => fs.writeFileSync(path.join(d, name), [header, ...rows.slice(from, from + n)].join('\n'));
  write('train.tsv', 0, train);
  write('dev.tsv', train, dev);
  write('test.tsv', train + dev, test);
  return d;
}
