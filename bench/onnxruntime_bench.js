'use strict';
/**
 * onnxruntime rows of the benchmark: each case's fused model (run.js projectModel)
 * exported with the project's exportModel and run in onnxruntime-node (native CPU
 * kernels) with 1 and 2 intra-op threads: inference only (onnxruntime-node does not
 * train). The same input shape and output read-back as the tfjs inference rows.
 * Without onnxruntime-node the rows are skipped with a note saying how to install it.
 */
/**
 * @returns {Promise<{records: object[], notes: string[]}>}
 * @param tf tfjs; R the built project; cases from configs.makeCases
 * @param o the bench options (threads: o.ortThreads, timing: warmup/iters/budget)
 * @param helpers { projectModel, record, timeIt } from run.js
 */
async function runOnnxRuntime(tf, R, cases, o, log, helpers) {
  const { projectModel, record, timeIt } = helpers;
  if (!R.onnxRuntimeAvailable()) return { records: [], notes: [`onnxruntime rows skipped: onnxruntime-node is not installed (${R.ONNXRUNTIME_INSTALL})`] };
  const records = [];
  for (const c of cases) {
    const model = projectModel(tf, R, c, 'fused', o);
    const x = tf.randomNormal([c.B, c.T, c.D], 0, 1, 'float32', 1);
    try {
      const bytes = R.exportModel(model);
      for (const threads of o.ortThreads.map(Number)) {
        log(`  ${c.cell} ${c.config} onnxruntime ${threads}t ...`);
        let session;
        try {
          session = await R.OnnxRuntimeSession.create(bytes, { threads });
          const feeds = { [R.onnxInputNames(model)[0]]: x };
          const infer = async () => {
            const out = await session.run(feeds);
            for (const t of Object.values(out)) {
              t.dataSync();
              t.dispose();
            }
          };
          const m = await timeIt(infer, o);
          const extra = { threads, ...(c.base === 'gru' ? { resetAfter: !!o.gruResetAfter } : {}) };
          records.push(record(c, 'onnxruntime', 'onnxruntime-cpu', { inferMs: m.ms, inferMinMs: m.minMs, inferN: m.n }, extra));
        } catch (e) {
          records.push({ cell: c.cell, config: c.config, impl: 'onnxruntime', backend: 'onnxruntime-cpu', threads, error: e.message.split('\n')[0] });
        } finally {
          if (session) await session.dispose();
        }
      }
    } catch (e) {
      records.push({ cell: c.cell, config: c.config, impl: 'onnxruntime', backend: 'onnxruntime-cpu', error: e.message.split('\n')[0] });
    } finally {
      x.dispose();
      model.dispose();
    }
  }
  return { records, notes: [] };
}

module.exports = { runOnnxRuntime };
