/**
 * Property-based hunt (fast-check) over every task's data reader: a valid small
 * file of each format, then random bytes, truncations, byte flips and line edits.
 * A reader either returns or throws a one-line UserError naming the file; never a
 * TypeError, RangeError or another internal error.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import fc from 'fast-check';
import { UserError } from '../../src/errors';
import { readLabeledFile } from '../../src/data/labeled_text';
import { readSeries } from '../../tasks/timeseries/data';
import { readTaggedFile } from '../../tasks/pos/data';
import { readCorpus } from '../../tasks/charlm/data';
import { readTsv } from '../../tasks/translate/data';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-fuzz-'));

const READERS: { name: string; file: string; valid: string; read: (f: string) => unknown }[] = [
  { name: 'sentiment (labeled TSV)', file: 'l.tsv', valid: 'label\ttext\n1\ta good film\n0\tbad one\n1\tfine\n', read: (f) => readLabeledFile(f) },
  { name: 'timeseries (CSV)', file: 's.csv', valid: 'date,temp,rain\n2020-01-01,3.5,0\n2020-01-02,4,1\n2020-01-03,4.5,2\n2020-01-04,5,0\n', read: (f) => readSeries(f, { target: 'temp' }) },
  { name: 'pos (CoNLL-U)', file: 'p.conllu', valid: '# sent_id = 1\n1\tThe\tthe\tDET\tDT\t_\t2\tdet\t_\t_\n2\tdog\tdog\tNOUN\tNN\t_\t0\troot\t_\t_\n\n', read: (f) => readTaggedFile(f) },
  { name: 'pos (word/TAG)', file: 'p.txt', valid: 'The/DET dog/NOUN runs/VERB\nA/DET cat/NOUN\n', read: (f) => readTaggedFile(f, 'slash') },
  { name: 'charlm (text)', file: 'c.txt', valid: 'To be, or not to be: that is the question.\nWhether tis nobler in the mind to suffer\n'.repeat(4), read: (f) => readCorpus(f, 0.1) },
  { name: 'translate (TSV pairs)', file: 't.tsv', valid: 'Go.\tVa !\nHi.\tSalut !\nRun!\tCours !\n', read: (f) => readTsv(f) },
];

const damage = (valid: Buffer) =>
  fc.oneof(
    fc.uint8Array({ maxLength: 120 }).map((u) => Buffer.from(u)),
    fc
      .array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('flip', 'cut', 'insert', 'dropline', 'dupline', 'tab')), { minLength: 1, maxLength: 4 })
      .map((edits) => {
        let b = Buffer.from(valid);
        for (const [at, byte, kind] of edits) {
          const i = b.length ? at % b.length : 0;
          if (kind === 'flip' && b.length) b[i] = byte;
          else if (kind === 'cut') b = b.subarray(0, i);
          else if (kind === 'insert') b = Buffer.concat([b.subarray(0, i), Buffer.from([byte]), b.subarray(i)]);
          else if (kind === 'tab') b = Buffer.concat([b.subarray(0, i), Buffer.from('\t'), b.subarray(i)]);
          else {
            const ls = b.toString('latin1').split('\n');
            const k = at % ls.length;
            if (kind === 'dropline') ls.splice(k, 1);
            else ls.splice(k, 0, ls[k]);
            b = Buffer.from(ls.join('\n'), 'latin1');
          }
        }
        return b;
      }),
  );

describe.each(READERS)('$name', (r) => {
  const file = path.join(dir, r.file);
  test('the valid file reads', () => {
    fs.writeFileSync(file, r.valid);
    expect(() => r.read(file)).not.toThrow();
  });
  test('property: damaged or random bytes give the data or one UserError line naming the file', () => {
    fc.assert(
      fc.property(damage(Buffer.from(r.valid)), (bytes) => {
        fs.writeFileSync(file, bytes);
        try {
          r.read(file);
        } catch (e) {
          if (!(e instanceof UserError)) throw new Error(`not a UserError for ${JSON.stringify(bytes.toString('latin1'))}: ${(e as Error)?.stack}`);
          expect(e.message).not.toMatch(/\n/);
          expect(e.message).toContain(file);
        }
      }),
      { numRuns: 300 },
    );
  });
});
