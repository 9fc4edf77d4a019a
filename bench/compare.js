#!/usr/bin/env node
'use strict';
/**
 * Compares two `npm run bench -- --json` runs:
 *
 *   node bench/compare.js before.jsonl after.jsonl [--threshold 10]
 *
 * Rows are matched on cell, config, impl (and PyTorch thread count, GRU resetAfter);
 * the backend is not part of the key, so a wasm run can be compared with a cpu run.
 * Prints train and infer medians of both runs and the ratio after ÷ before; ratios
 * beyond ±threshold % are marked (< 1 is faster). Lines that are not JSON records
 * (notes, progress) are ignored, so whole captured outputs can be passed.
 */
const fs = require('fs');

function load(file) {
  const rows = new Map();
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const s = line.trim();
    if (!s.startsWith('{')) continue;
    let r;
    try {
      r = JSON.parse(s);
    } catch {
      continue;
    }
    if (!r.cell || !r.impl) continue;
    rows.set(keyOf(r), r);
  }
  return rows;
}

function keyOf(r) {
  const extra = (r.threads != null ? ` ${r.threads}t` : r.resetAfter != null ? ` resetAfter=${r.resetAfter}` : '') + (r.workers > 1 ? ` ${r.workers} workers` : '');
  return `${r.cell} ${r.config} ${r.impl}${extra}`;
}

function backends(rows) {
  return [...new Set([...rows.values()].filter((r) => r.impl !== 'pytorch').map((r) => r.backend))].join(',') || '-';
}

function compare(a, b, threshold = 10) {
  const keys = [...new Set([...a.keys(), ...b.keys()])];
  const ms = (x) => (x == null ? '-' : x.toFixed(1));
  const ratio = (x, y) => {
    if (x == null || y == null) return '-';
    const q = y / x;
    const mark = Math.abs(q - 1) * 100 > threshold ? (q < 1 ? ' faster' : ' SLOWER') : '';
    return q.toFixed(2) + mark;
  };
  const header = ['row', 'train A', 'train B', 'B/A', 'infer A', 'infer B', 'B/A'];
  const rows = keys.map((k) => {
    const x = a.get(k) ?? {};
    const y = b.get(k) ?? {};
    return [k, ms(x.trainMs), ms(y.trainMs), ratio(x.trainMs, y.trainMs), ms(x.inferMs), ms(y.inferMs), ratio(x.inferMs, y.inferMs)];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r) => r.map((s, i) => (i === 0 || i === 3 || i === 6 ? s.padEnd(widths[i]) : s.padStart(widths[i]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].map((l) => l.trimEnd()).join('\n');
}

function main(argv) {
  const args = argv.slice(2);
  let threshold = 10;
  const t = args.indexOf('--threshold');
  if (t >= 0) {
    threshold = Number(args[t + 1]);
    args.splice(t, 2);
  }
  if (args.length !== 2 || !Number.isFinite(threshold)) {
    console.error('usage: node bench/compare.js A.jsonl B.jsonl [--threshold PERCENT]');
    process.exit(2);
  }
  const [a, b] = args.map(load);
  console.log(`A = ${args[0]} (backend ${backends(a)})\nB = ${args[1]} (backend ${backends(b)})\nratio B/A < 1: B is faster; marked beyond ±${threshold}%\n`);
  console.log(compare(a, b, threshold));
}

if (require.main === module) main(process.argv);

module.exports = { load, compare, keyOf };
