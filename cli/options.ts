/**
 * Task options (src/task.ts TaskOption) as commander options: the flag comes from
 * the config key (batchSize → --batch-size), the parser from the type, the help's
 * default from the task's defaults. No commander default is set, so parsing yields
 * only what the user gave (merged over the task's defaults by the task itself).
 */
import { InvalidArgumentError, Option } from 'commander';
import type { TaskOption } from '../src/task';

/** batchSize → batch-size */
export const kebab = (key: string): string => key.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();

/** The option's flag as shown in help and docs, e.g. `--batch-size <n>` or `--[no-]bidirectional`. */
export function flagOf(o: TaskOption): string {
  if (o.type === 'boolean') return `--[no-]${kebab(o.key)}`;
  return `--${kebab(o.key)} <${valueName(o)}>`;
}

function valueName(o: TaskOption): string {
  if (o.valueName) return o.valueName;
  switch (o.type) {
    case 'int':
      return 'n';
    case 'number':
      return 'x';
    case 'choice':
      return o.choices ? o.choices.join('|') : 'value';
    case 'column':
      return 'name|n';
    case 'list':
      return 'a,b,...';
    default:
      return 'value';
  }
}

/** The parser of one option's value; throws InvalidArgumentError with what was expected. */
export function parserOf(o: TaskOption): ((v: string) => unknown) | undefined {
  const flag = `--${kebab(o.key)}`;
  const own = o.parse;
  if (own) {
    return (v) => {
      try {
        return own(v);
      } catch (e) {
        throw new InvalidArgumentError(`${flag} ${(e as Error).message}`);
      }
    };
  }
  switch (o.type) {
    case 'int': {
      const min = o.min ?? 1;
      const max = o.max ?? Infinity;
      return (v) => {
        const n = Number(v);
        if (!/^-?\d+$/.test(v.trim()) || n < min || n > max) throw new InvalidArgumentError(`${flag} must be an integer ≥ ${min}${max < Infinity ? ` and ≤ ${max}` : ''}`);
        return n;
      };
    }
    case 'number': {
      const min = o.min ?? -Infinity;
      const max = o.max ?? Infinity;
      return (v) => {
        const n = Number(v);
        if (v.trim() === '' || !Number.isFinite(n) || n < min || n > max) throw new InvalidArgumentError(`${flag} must be a number in [${min}, ${max === Infinity ? '∞' : max}]`);
        return n;
      };
    }
    case 'column':
      return (v) => (/^\d+$/.test(v) ? Number(v) : v);
    case 'list':
      return (v) => v.split(',').map((s) => s.trim()).filter(Boolean);
    default:
      return undefined;
  }
}

const show = (v: unknown): string => (Array.isArray(v) ? v.join(',') : typeof v === 'string' ? v : JSON.stringify(v));

/** The help line of an option with the task's default appended. */
export function helpOf(o: TaskOption, defaults: Record<string, unknown>): string {
  const d = defaults[o.key];
  return d === undefined || d === '' ? o.help : `${o.help} (default: ${show(d)})`;
}

/** commander Options for a task option (two for a boolean: --x and --no-x). */
export function commanderOptions(o: TaskOption, defaults: Record<string, unknown>): Option[] {
  const name = kebab(o.key);
  const short = o.short ? `-${o.short}, ` : '';
  if (o.type === 'boolean') {
    return [new Option(`${short}--${name}`, helpOf(o, defaults)), new Option(`--no-${name}`, `the opposite of --${name}`)];
  }
  const opt = new Option(`${short}--${name} <${valueName(o)}>`, helpOf(o, defaults));
  if (o.type === 'choice' && o.choices) opt.choices([...o.choices]);
  const parse = parserOf(o);
  if (parse) opt.argParser(parse);
  return [opt];
}
