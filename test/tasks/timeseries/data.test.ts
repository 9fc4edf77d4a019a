/** Time-series CSV reading: columns, dates (order, step, gaps), missing and non-numeric values with their line numbers. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { UserError } from '../../../src/errors';
import { parseSeries, readSeries } from '../../../tasks/timeseries/data';

const csv = (...lines: string[]): string => lines.join('\n') + '\n';

test('monthly dates: the target is the only numeric column, the step is one calendar month', () => {
  const t = parseSeries(csv('"Month","Passengers"', '"1949-01",112', '"1949-02",118', '"1949-03",132'), 'air.csv');
  expect(t.target).toBe('Passengers');
  expect(t.dateColumn).toBe('Month');
  expect(t.values).toEqual([[112, 118, 132]]);
  expect(t.step).toEqual({ unit: 'month', size: 1 });
  expect(t.dateFormat).toBe('year-month');
  expect(t.lines).toEqual([2, 3, 4]);
  expect(t.notes).toEqual([]);
});

test('several numeric columns need --target; features are read beside it, by name or number', () => {
  const text = csv('date,a,b,c', '2020-01-01,1,10,100', '2020-01-02,2,20,200');
  expect(() => parseSeries(text, 'w.csv')).toThrow(/w\.csv: 3 numeric columns \(a, b, c\); name the one to forecast with --target/);
  const t = parseSeries(text, 'w.csv', { target: 'b', features: ['a', 4] });
  expect(t.values).toEqual([[10, 20], [1, 2], [100, 200]]);
  expect(t.features).toEqual(['a', 'c']);
  expect(t.step).toEqual({ unit: 'ms', size: 86400000 });
  expect(() => parseSeries(text, 'w.csv', { target: 'x' })).toThrow(/no target column 'x' \(columns: date, a, b, c\)/);
  expect(() => parseSeries(text, 'w.csv', { target: 'b', features: ['b'] })).toThrow(/feature column 'b' is the target column/);
});

test('a missing value is an error naming the file and line, unless a fill policy is given', () => {
  const text = csv('t,v', '2020-01-01,1', '2020-01-02,', '2020-01-03,NA', '2020-01-04,7');
  let err: unknown;
  try {
    parseSeries(text, 'gap.csv');
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(UserError);
  expect((err as Error).message).toBe("gap.csv:3: column 'v' has no value (fill missing values with --fill previous or --fill linear)");
  expect(parseSeries(text, 'gap.csv', { fill: 'previous' }).values[0]).toEqual([1, 1, 1, 7]);
  expect(parseSeries(text, 'gap.csv', { fill: 'linear' }).values[0]).toEqual([1, 3, 5, 7]);
});

test('a non-numeric value is always an error with its line (blank lines keep the numbering)', () => {
  const text = csv('t,v', '2020-01-01,1', '', '2020-01-02,1.5e0', '2020-01-03,abc');
  expect(() => parseSeries(text, 'bad.csv')).toThrow("bad.csv:5: column 'v': 'abc' is not a number");
  expect(() => parseSeries(text, 'bad.csv', { fill: 'linear' })).toThrow(/bad\.csv:5:/);
  expect(() => parseSeries(csv('t,v', '2020-01-01,1', '2020-01-02'), 'r.csv')).toThrow('r.csv:3: 1 fields, but the header has 2');
});

test('dates must increase: out of order and repeated dates name the line', () => {
  expect(() => parseSeries(csv('d,v', '2020-01-02,1', '2020-01-01,2'), 'o.csv')).toThrow("o.csv:3: dates must increase: '2020-01-01' comes before '2020-01-02' (line 2)");
  expect(() => parseSeries(csv('d,v', '2020-01-01,1', '2020-01-01,2'), 'o.csv')).toThrow(/o\.csv:3: .*repeats/);
  expect(() => parseSeries(csv('d,v', '2020-01-01,1', '2020-13-01,2'), 'o.csv', { dateColumn: 'd' })).toThrow(/o\.csv:3: column 'd': '2020-13-01' is not a date/);
});

test('gaps in the dates are noted, or filled with inserted rows under --fill', () => {
  const text = csv('d,v', '2020-01-01,1', '2020-01-02,2', '2020-01-05,5', '2020-01-06,6');
  const noted = parseSeries(text, 'g.csv');
  expect(noted.values[0]).toEqual([1, 2, 5, 6]);
  expect(noted.notes[0]).toMatch(/1 gap \(2 missing steps, first after line 3 \(2020-01-02 → 2020-01-05\)\)/);
  const filled = parseSeries(text, 'g.csv', { fill: 'linear' });
  expect(filled.values[0]).toEqual([1, 2, 3, 4, 5, 6]);
  expect(filled.dates).toEqual(['2020-01-01', '2020-01-02', '2020-01-03', '2020-01-04', '2020-01-05', '2020-01-06']);
  expect(filled.lines).toEqual([2, 3, 0, 0, 4, 5]);
});

test('no header: a first row of numbers and dates is data, columns are numbered', () => {
  const t = parseSeries(csv('1949-01,112', '1949-02,118', '1949-03,132'), 'h.csv');
  expect([t.target, t.dateColumn, t.values[0]]).toEqual(['2', '1', [112, 118, 132]]);
  expect(parseSeries(csv('5', '6'), 'n.csv').values).toEqual([[5, 6]]);
  expect(() => parseSeries(csv('1,2', '3,4'), 'two.csv')).toThrow(/2 numeric columns \(1, 2\); name the one to forecast with --target/);
});

test('no date column: dateColumn none, or none found', () => {
  const t = parseSeries(csv('v', '3', '4', '5'), 'n.csv');
  expect(t.dateColumn).toBeNull();
  expect(t.dates).toBeNull();
  expect(t.values).toEqual([[3, 4, 5]]);
});

test('the real files: airline passengers (monthly) and daily minimum temperatures (two missing days, noted)', () => {
  const air = readSeries(path.join(__dirname, '..', '..', '..', '..', 'shared', 'data', 'timeseries', 'airline-passengers.csv'));
  expect(air.values[0]).toHaveLength(144);
  expect(air.values[0].slice(0, 3)).toEqual([112, 118, 132]);
  const temp = readSeries(path.join(__dirname, '..', '..', '..', '..', 'shared', 'data', 'timeseries', 'daily-min-temperatures.csv'));
  expect(temp.values[0]).toHaveLength(3650);
  expect(temp.notes.join(' ')).toMatch(/2 gaps/);
});

test('file errors: missing file, directory, empty file', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-ts-'));
  expect(() => readSeries(path.join(dir, 'nope.csv'))).toThrow(/nope\.csv: no such file/);
  expect(() => readSeries(dir)).toThrow(/is a directory/);
  fs.writeFileSync(path.join(dir, 'empty.csv'), '');
  expect(() => readSeries(path.join(dir, 'empty.csv'))).toThrow(/the file is empty/);
});
