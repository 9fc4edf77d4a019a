/** Regression / forecast errors against values worked out by hand. */
import { mae, mape, regressionErrors, rmse, smape } from '../../src/metrics/regression';

// actual [100, 200, 300], predicted [110, 180, 300]: errors 10, −20, 0.
const A = [100, 200, 300];
const P = [110, 180, 300];

test('rmse: sqrt((100 + 400 + 0) / 3)', () => {
  expect(rmse(A, P)).toBeCloseTo(Math.sqrt(500 / 3), 12); // 12.90994...
  expect(rmse(A, P)).toBeCloseTo(12.909944487358056, 12);
});

test('mae: (10 + 20 + 0) / 3 = 10', () => {
  expect(mae(A, P)).toBe(10);
});

test('mape: 100 · (0.1 + 0.1 + 0) / 3 = 6.667%; zero actuals are skipped', () => {
  expect(mape(A, P)).toBeCloseTo(20 / 3, 12);
  expect(mape([0, 100], [5, 90])).toBeCloseTo(10, 12);
  expect(mape([0], [1])).toBeNaN();
});

test('smape: 100 · (20/210 + 40/380 + 0) / 3; 0 vs 0 counts as 0', () => {
  expect(smape(A, P)).toBeCloseTo((100 * (20 / 210 + 40 / 380)) / 3, 12); // 6.683...
  expect(smape([0, 10], [0, 10])).toBe(0);
  expect(smape([0], [5])).toBe(200);
});

test('perfect forecasts are all zeros; the summary names', () => {
  expect(regressionErrors([1, 2, 3], [1, 2, 3])).toEqual({ rmse: 0, mae: 0, mape: 0, smape: 0 });
  expect(Object.keys(regressionErrors(A, P))).toEqual(['rmse', 'mae', 'mape', 'smape']);
});

test('length mismatch and non-finite values are errors', () => {
  expect(() => rmse([1, 2], [1])).toThrow(/length/);
  expect(() => mae([1, NaN], [1, 2])).toThrow(/index 1/);
});
