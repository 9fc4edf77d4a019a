#!/usr/bin/env node
/**
 * Makes the bundled time series data/timeseries/seattle-weather.csv: Seattle daily
 * weather 2012–2015 (NOAA, a U.S. Government work) from the npm package
 * vega-datasets 3.2.1 (BSD-3-Clause), unchanged. The package is 43 MB unpacked, so
 * it is fetched with `npm pack` into a temporary directory instead of being a
 * dependency; the file's hash is checked against the package's datapackage.json (a git
 * blob SHA-1: sha1 of `blob <size>\0` + the bytes).
 *
 *   node scripts/make_timeseries_data.js
 */
const { execFileSync } = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');

const VERSION = '3.2.1';
const SHA1 = '0f38b53bdc1c42c5e5d484f33b9d4d7b229e0e59';
const out = path.join(__dirname, '..', 'data', 'timeseries');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vega-datasets-'));
try {
  execFileSync('npm', ['pack', `vega-datasets@${VERSION}`, '--silent'], { cwd: tmp, stdio: ['ignore', 'ignore', 'inherit'] });
  const tgz = fs.readdirSync(tmp).find((f) => f.endsWith('.tgz'));
  execFileSync('tar', ['xzf', tgz, 'package/data/seattle-weather.csv'], { cwd: tmp });
  const csv = fs.readFileSync(path.join(tmp, 'package', 'data', 'seattle-weather.csv'));
  const sha = crypto.createHash('sha1').update(`blob ${csv.length}\0`).update(csv).digest('hex');
  if (sha !== SHA1) throw new Error(`seattle-weather.csv: SHA-1 ${sha}, expected ${SHA1}`);
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, 'seattle-weather.csv'), csv);
  console.log(`wrote ${path.join(out, 'seattle-weather.csv')} (${csv.length} bytes, ${csv.toString().trim().split('\n').length - 1} days)`);
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
