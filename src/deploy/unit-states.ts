/**
 * `systemctl is-enabled` and `systemctl is-active` for many units in one process each, split back
 * into the answer the one-unit command gives (pure: argv and parser; pre-probe.ts runs them). A
 * phase asked both per unit, two processes per unit (~10-20 ms each on a busy host), which was
 * most of the nodes phase of a no-change re-apply.
 *
 * Why not one `systemctl show -p ActiveState,UnitFileState`: systemd caches a loaded unit's
 * UnitFileState until the next daemon-reload (a wants/ link removed or restored by hand is not
 * seen; checked on systemd 252), while `is-enabled` asks the manager to look at the files again,
 * which is what deciding "enable or not" needs.
 *
 * Both commands print one line per unit, in argument order. `is-active` answers every unit
 * ("inactive" for an unknown one). `is-enabled` stops at the first unit it cannot answer (no unit
 * file: "Failed to get unit file state ... No such file or directory" on stderr, exit 1), so its
 * lines are known to belong to the units in order only when there is one per unit; otherwise no
 * line is trusted and every unit is asked on its own (a first install, whose unit files are
 * written after this look, pays one more round trip; a re-apply never does).
 */
/** Exit code and stdout, as pre-probe.ts's ProbeAnswer (declared here: pre-probe imports this file). */
interface ProbeAnswer {
  readonly exitCode: number;
  readonly stdout: string;
}

/** The two per-unit questions the steps ask (preProbeOf). */
export type UnitQuery = 'is-enabled' | 'is-active';

/** is-enabled exits 0 for these states (systemctl is-enabled(1)), 1 for the others (disabled, masked, linked, bad...). */
const ENABLED_EXIT_0 = new Set(['enabled', 'enabled-runtime', 'static', 'alias', 'indirect', 'generated']);
/** is-active exits 0 for these (systemctl is-active), 3 for the others (inactive, failed, activating...). */
const ACTIVE_EXIT_0 = new Set(['active', 'reloading']);

/** The one command asking `query` for all `units` (kept in order, as given). */
export function unitStatesArgv(query: UnitQuery, units: readonly string[]): readonly string[] {
  return ['systemctl', query, ...units];
}

/** What the one-unit command would have answered for a unit in `state`. */
function oneUnit(query: UnitQuery, state: string): ProbeAnswer {
  const ok = (query === 'is-enabled' ? ENABLED_EXIT_0 : ACTIVE_EXIT_0).has(state);
  return { exitCode: ok ? 0 : query === 'is-enabled' ? 1 : 3, stdout: state };
}

/**
 * Per-unit answers from the many-unit command's answer; empty when it is not one state line per
 * unit (then ask each unit with the one-unit command).
 */
export function splitUnitStates(query: UnitQuery, units: readonly string[], answer: ProbeAnswer | undefined): ReadonlyMap<string, ProbeAnswer> {
  const lines = answer === undefined || answer.stdout === '' ? [] : answer.stdout.split('\n').map((l) => l.trim());
  if (lines.length !== units.length || lines.some((l) => !/^[a-z-]+$/.test(l))) return new Map();
  return new Map(units.map((u, i) => [u, oneUnit(query, lines[i] as string)]));
}
