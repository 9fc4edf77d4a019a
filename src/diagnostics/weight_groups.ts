/**
 * Weight groups for training diagnostics: which "layer" a trainable variable
 * belongs to, derived from its name alone (no per-task table), so the per-layer
 * gradient norms and update ratios of any model read as embedding, each recurrent
 * layer and direction, attention, output...
 *
 *   'embedding/embeddings'               → 'embedding'
 *   'encoder/kernel_l0'                  → 'encoder/l0'          (PyTorch-style stacks:
 *   'encoder/recurrent_kernel_l1_reverse'→ 'encoder/l1_reverse'   layer k, reverse direction)
 *   'bidirectional/forward_lstm/kernel'  → 'bidirectional/forward_lstm'
 *   'attention/kernel', 'output/bias'    → 'attention', 'output'
 *
 * The rule: the variable's scope (everything before the last '/'), plus the layer
 * index and direction when the weight's own name ends in `_l<k>` or `_l<k>_reverse`
 * (the naming of this project's stacked and bidirectional layers). A name without
 * a scope is its own group. Use the variables' original names (LayerVariable
 * `originalName`): tfjs appends `_1`, `_2`... to the unique names when a process
 * builds the same model twice.
 */

/** The group (layer) of one trainable variable name. */
export function weightGroup(name: string): string {
  const slash = name.lastIndexOf('/');
  if (slash < 0) return name;
  const scope = name.slice(0, slash);
  const leaf = name.slice(slash + 1);
  const m = /_l(\d+)(_reverse)?$/.exec(leaf);
  return m ? `${scope}/l${m[1]}${m[2] ?? ''}` : scope;
}

/** Groups of a list of variable names: the group names in first-seen order and each variable's group index. */
export interface WeightGroups {
  /** Group names, in the order their first variable appears. */
  names: string[];
  /** `of[i]` = index into `names` of variable i's group. */
  of: number[];
}

export function weightGroups(variableNames: readonly string[]): WeightGroups {
  const names: string[] = [];
  const index = new Map<string, number>();
  const of = variableNames.map((v) => {
    const g = weightGroup(v);
    let k = index.get(g);
    if (k === undefined) {
      k = names.length;
      names.push(g);
      index.set(g, k);
    }
    return k;
  });
  return { names, of };
}

/** The names to group a model's trainable weights by: their original (scoped, not uniquified) names. */
export function trainableNames(weights: readonly { name: string; originalName?: string }[]): string[] {
  return weights.map((w) => w.originalName ?? w.name);
}
