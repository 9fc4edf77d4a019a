/**
 * The command-line reference of docs/cli.md, generated from the task registry, so
 * a task's options cannot drift from their documentation: `npm run docs`
 * (scripts/cli-docs.js) rewrites the block between the markers below, and
 * test/docs/cli_reference.test.ts fails when the file's block differs from what
 * the registry says.
 */
import { getTask, taskNames } from '../tasks';
import type { Task, TaskOption } from '../src/task';
import { COMMON_OPTIONS } from '../src/train/common';
import { flagOf } from './options';

export const DOCS_BEGIN = '<!-- cli-reference: generated from the task registry by `npm run docs`; do not edit by hand -->';
export const DOCS_END = '<!-- /cli-reference -->';

const cell = (s: string): string => s.replace(/\|/g, '\\|');
const show = (v: unknown): string => (v === undefined ? '' : Array.isArray(v) ? v.join(',') : typeof v === 'string' ? v : JSON.stringify(v));

function table(options: TaskOption[], defaults: Record<string, unknown>): string[] {
  return [
    '| option | default | meaning |',
    '| --- | --- | --- |',
    ...options.map((o) => `| \`${cell(flagOf(o))}\` | ${defaults[o.key] === undefined ? '' : `\`${cell(show(defaults[o.key]))}\``} | ${cell(o.help)} |`),
  ];
}

function taskSection(t: Task): string[] {
  const defaults = t.defaults as unknown as Record<string, unknown>;
  const common = COMMON_OPTIONS.filter((o) => o.key !== 'data' && o.key !== 'resume' && o.key !== 'initFrom').map((o) => `\`--${flagOf(o).slice(2).split(' ')[0]}\` ${show(defaults[o.key])}`);
  const out = [
    `#### \`--task ${t.name}\`: ${t.description}`,
    '',
    `Data (\`--data\`): ${t.dataHelp}.`,
    '',
    `Common options' defaults for this task: ${common.join(', ')}.`,
    '',
    ...table(t.options, defaults),
  ];
  if (t.predictOptions.length || t.predictHelp) {
    out.push('', `\`rnn-predict\` on a ${t.name} model: ${t.predictHelp}`);
    if (t.predictOptions.length) out.push('', ...table(t.predictOptions, {}));
  }
  return out;
}

/** The generated block (markers included). */
export async function cliReference(): Promise<string> {
  const lines: string[] = [DOCS_BEGIN, '', 'Options every task has (`rnn-train --task X --help` shows them with X\'s defaults):', ''];
  lines.push('| option | meaning |', '| --- | --- |');
  for (const o of COMMON_OPTIONS) lines.push(`| \`${cell(flagOf(o))}\` | ${cell(o.help)} |`);
  lines.push(
    '| `--backend <auto\\|tensorflow\\|wasm\\|cpu>` | backend (auto: tensorflow, then wasm, then cpu) |',
    '| `--json` | one JSON object per line; the last line is the summary |',
    '| `--report <file>` | write a self-contained HTML report (curves, metrics, the task\'s pictures) |',
  );
  for (const name of taskNames()) {
    const t = await getTask(name);
    if (t) lines.push('', ...taskSection(t));
  }
  lines.push('', DOCS_END);
  return lines.join('\n');
}

/** `text` with its generated block replaced by `block` (throws when the markers are missing). */
export function replaceReference(text: string, block: string): string {
  const a = text.indexOf(DOCS_BEGIN);
  const b = text.indexOf(DOCS_END);
  if (a < 0 || b < a) throw new Error(`docs/cli.md: the markers of the generated CLI reference are missing (${DOCS_BEGIN} … ${DOCS_END})`);
  return text.slice(0, a) + block + text.slice(b + DOCS_END.length);
}
