/**
 * --only / --skip / --limit: which phases and hosts a run covers. A selection that is empty,
 * contradictory, repeats a name or names something unknown is a usage error: read loosely, each
 * of these widened a run (`--limit ""` ran on every host) or silently did something else than
 * asked (`--only etcd --skip etcd`).
 */
import { didYouMean } from '../../inventory/suggest.js';
import type { ClusterPlan } from '../../plan/types.js';
import type { Phase } from '../phase.js';
import { UsageError } from '../../shared/errors.js';

/**
 * `--flag a,b --flag c` -> ["a", "b", "c"]; undefined when the flag was not given. An empty name
 * ("", "a,,b", "a,") or one given twice is refused: it is a typo, never a wish.
 */
export function parseList(flag: string, values: readonly string[] | undefined): readonly string[] | undefined {
  if (values === undefined || values.length === 0) return undefined;
  const names = values.flatMap((v) => v.split(',')).map((s) => s.trim());
  if (names.some((n) => n === '')) {
    throw new UsageError(`${flag} ${values.map((v) => JSON.stringify(v)).join(' ')}: an empty name`, { hint: `${flag} takes comma-separated names, e.g. ${flag} a,b; leave the flag out to select everything` });
  }
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice !== undefined) throw new UsageError(`${flag}: "${twice}" is given twice`, { hint: 'name each once' });
  return names;
}

/** `" (did you mean X?)"` or nothing. */
function mean(name: string, candidates: readonly string[]): string {
  const hit = didYouMean(name, candidates);
  return hit === undefined ? '' : ` (did you mean ${hit}?)`;
}

/** Phases to run, in list order. Infrastructure phases (always) cannot be left out. */
export function selectPhases(all: readonly Phase[], only?: readonly string[], skip?: readonly string[]): readonly Phase[] {
  const ids = all.map((p) => p.id);
  const optional = all.filter((p) => p.always !== true).map((p) => p.id);
  for (const [flag, list] of [['--only', only], ['--skip', skip]] as const) {
    parseList(flag, list); // empty or repeated names
    for (const id of list ?? []) {
      if (!ids.includes(id)) throw new UsageError(`${flag}: unknown phase "${id}"${mean(id, optional)}`, { hint: `phases: ${optional.join(', ')}` });
      if (!optional.includes(id)) {
        throw new UsageError(`${flag}: "${id}" always runs and cannot be selected or skipped`, { hint: `selectable phases: ${optional.join(', ')}` });
      }
    }
  }
  if (only !== undefined && only.length > 0 && skip !== undefined && skip.length > 0) {
    const both = only.filter((id) => skip.includes(id));
    throw new UsageError(
      both.length > 0 ? `--only and --skip both name ${both.map((b) => `"${b}"`).join(', ')}` : '--only and --skip together: --skip has no effect on phases --only leaves out',
      { hint: 'use --only to list the phases to run, or --skip to leave some out, not both' },
    );
  }
  const wanted = (id: string): boolean => (only === undefined || only.length === 0 || only.includes(id)) && !(skip ?? []).includes(id);
  const picked = all.filter((p) => p.always === true || wanted(p.id));
  if (optional.length > 0 && !picked.some((p) => p.always !== true)) {
    throw new UsageError('--skip leaves no phase to run besides connect, lock and gather-facts', { hint: 'to only connect and read, use --dry-run' });
  }
  return picked;
}

/** Refuses a --limit that repeats a name or names a host not among `names`. */
export function checkHostNames(names: readonly string[], limit?: readonly string[]): void {
  parseList('--limit', limit);
  for (const n of limit ?? []) {
    if (!names.includes(n)) throw new UsageError(`--limit: unknown host "${n}"${mean(n, names)}`, { hint: `hosts in the inventory: ${names.join(', ')}` });
  }
}

/** Host names to work on, in inventory order. */
export function selectHosts(plan: ClusterPlan, limit?: readonly string[]): readonly string[] {
  const names = plan.hosts.map((h) => h.host.name);
  checkHostNames(names, limit);
  return limit === undefined || limit.length === 0 ? names : names.filter((n) => limit.includes(n));
}

/**
 * Refuses a selection under which no selected phase has a host to work on (`--only etcd --limit
 * node02` where node02 runs no etcd): the run would connect, lock and report success for nothing.
 */
export function checkSelection(plan: ClusterPlan, phases: readonly Phase[], hosts: readonly string[]): void {
  const work = phases.filter((p) => p.always !== true);
  if (work.length === 0 || work.some((p) => p.hosts(plan).some((h) => hosts.includes(h.host.name)))) return;
  const where = work.map((p) => `${p.id} runs on ${p.hosts(plan).map((h) => h.host.name).join(', ') || 'no host'}`);
  throw new UsageError(`nothing to do: no selected phase runs on ${hosts.join(', ')}`, { detail: where, hint: 'change --limit or --only' });
}
