/**
 * Sliding windows over a chronologically split series.
 *
 * A window has an origin o (the index of its last input step): inputs are the
 * steps o−W+1..o, targets the steps o+1..o+H. The series is cut into three
 * consecutive parts, train [0, trainEnd), validation [trainEnd, validEnd) and
 * test [validEnd, n). A window belongs to the part holding all of its targets,
 * and never has a target in another part; its inputs are the past, which for a
 * validation or test window may lie in the earlier parts (the history a forecaster
 * has at that moment). Training windows therefore lie entirely in the training
 * part, so nothing of the validation or test parts reaches the fitted weights.
 *
 * Next: transforms.ts.
 */

/** The cut points of the three parts. */
export interface Split {
  /** First index of the validation part (= length of the training part). */
  trainEnd: number;
  /** First index of the test part. */
  validEnd: number;
  /** Series length. */
  n: number;
}

/** Split sizes from --test-size / --valid-size (a fraction < 1 or a count ≥ 1). */
export function splitSeries(n: number, testSize: number, validSize: number): Split {
  const count = (size: number, of: number): number => (size < 1 ? Math.round(size * of) : Math.floor(size));
  const nTest = count(testSize, n);
  const nValid = count(validSize, n - nTest);
  return { trainEnd: n - nTest - nValid, validEnd: n - nTest, n };
}

/**
 * The origins of the windows whose inputs start at or after `first` (the first
 * index with a transformed value) and whose H targets all lie in [from, to).
 */
export function windowOrigins(first: number, from: number, to: number, window: number, horizon: number): number[] {
  const lo = Math.max(first + window - 1, from - 1);
  const hi = to - 1 - horizon;
  const out: number[] = [];
  for (let o = lo; o <= hi; o++) out.push(o);
  return out;
}

/**
 * Inputs and targets at the given origins: x[i] = channels' values at steps
 * o−W+1..o ([W][C]), y[i] = channel 0 at steps o+1..o+H (empty when the targets
 * lie beyond the series, for forecasting past its end).
 */
export function gatherWindows(channels: number[][], origins: number[], window: number, horizon: number): { x: number[][][]; y: number[][] } {
  const n = channels[0].length;
  const x = origins.map((o) => {
    const rows: number[][] = [];
    for (let t = o - window + 1; t <= o; t++) rows.push(channels.map((c) => c[t]));
    return rows;
  });
  const y = origins.map((o) => (o + horizon < n ? channels[0].slice(o + 1, o + 1 + horizon) : []));
  return { x, y };
}
