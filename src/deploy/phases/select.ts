/** --only / --skip / --limit: which phases and hosts a run covers. Unknown names are usage errors. */
import type { ClusterPlan } from '../../plan/types.js';
import type { Phase } from '../phase.js';
import { UsageError } from '../../shared/errors.js';

/** Phases to run, in list order. Infrastructure phases (always) cannot be left out. */
export function selectPhases(all: readonly Phase[], only?: readonly string[], skip?: readonly string[]): readonly Phase[] {
  const ids = all.map((p) => p.id);
  const optional = all.filter((p) => p.always !== true).map((p) => p.id);
  for (const [flag, list] of [['--only', only], ['--skip', skip]] as const) {
    for (const id of list ?? []) {
      if (!ids.includes(id)) throw new UsageError(`${flag}: unknown phase "${id}"`, { hint: `phases: ${optional.join(', ')}` });
      if (!optional.includes(id)) {
        throw new UsageError(`${flag}: "${id}" always runs and cannot be selected or skipped`, { hint: `selectable phases: ${optional.join(', ')}` });
      }
    }
  }
  const wanted = (id: string): boolean => (only === undefined || only.length === 0 || only.includes(id)) && !(skip ?? []).includes(id);
  return all.filter((p) => p.always === true || wanted(p.id));
}

/** Host names to work on, in inventory order. */
export function selectHosts(plan: ClusterPlan, limit?: readonly string[]): readonly string[] {
  const names = plan.hosts.map((h) => h.host.name);
  for (const n of limit ?? []) {
    if (!names.includes(n)) throw new UsageError(`--limit: unknown host "${n}"`, { hint: `hosts in the inventory: ${names.join(', ')}` });
  }
  return limit === undefined || limit.length === 0 ? names : names.filter((n) => limit.includes(n));
}
