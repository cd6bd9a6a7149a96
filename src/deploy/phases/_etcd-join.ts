/**
 * A new etcd member joining a running cluster (render/etcd-membership.ts decides who joins). The
 * classic `etcdctl member add` then start, made safe:
 * - before etcd starts on the joiner, it is added as a LEARNER through the members that run (a
 *   learner does not count for quorum, so a joiner that never comes up costs the cluster nothing);
 *   the add is skipped when the cluster lists it already (an interrupted run), refused when the
 *   name is listed with another peer URL, when the cluster has members the inventory does not
 *   name (its initial-cluster would not match, etcd would refuse to start), or when the joiner
 *   holds a data directory although the cluster does not list it (that data is another cluster's:
 *   the operator moves it away, kubesmith deletes nothing);
 * - etcd starts on it with `initial-cluster-state: existing`, catches up as a learner, and is
 *   promoted to a voting member once the leader says it is in sync (retried until then).
 * One joiner per run (preflight): etcd changes membership one member at a time.
 */
import { RECONF_FN } from './_etcd-reconfig.js';
import type { ClusterPlan, PlannedHost } from '../../plan/types.js';
import type { Problem, Step } from '../phase.js';
import { etcdBootstraps, peerEntry, peerUrl } from '../../render/etcd-membership.js';
import { remoteLayout } from '../../render/layout.js';
import { plainEtcdctlArgv } from './_etcd-health.js';
import { memberEndpoint } from './_etcd-backup.js';

/** Members that join in this plan (at most one may, see joinProblems). */
export function etcdJoiners(plan: ClusterPlan): readonly string[] {
  return etcdBootstraps(plan.inventory, plan.pki.identity?.etcdMembers).joiners;
}

/** Preflight: more than one new member at once is refused on each of them. */
export function joinProblems(plan: ClusterPlan, host: string): readonly Problem[] {
  const joiners = etcdJoiners(plan);
  if (joiners.length < 2 || !joiners.includes(host)) return [];
  return [{
    severity: 'error',
    message: `${joiners.join(', ')} are all new etcd members of a running cluster: etcd takes one new member at a time (it joins as a learner and is promoted before the next)`,
    hint: `leave only ${joiners[0]} among the new etcd hosts in the inventory, run \`kubesmith apply\`, then add the next; nothing was written`,
  }];
}

/**
 * $1 name, $2 peer URL, $3 data dir, $4 the inventory's members ("m1=https://ip:2380,..."), then the
 * etcdctl argv (endpoints of the running members). Exit 3 with the reason when it must not add.
 * `member list -w simple` rows: "ID, started|unstarted, NAME, PEER URLS, CLIENT URLS, IS LEARNER";
 * a member added but not started yet has no name, so it is found by its peer URL. An addition etcd
 * refuses as transient is asked again (_etcd-reconfig.ts).
 */
const ADD_SH = `${RECONF_FN}
name=$1 url=$2 data=$3 members=",$4,"; shift 4
list=$("$@" member list -w simple) || { echo "cannot list the etcd members through $*" >&2; exit 1; }
stray=$(printf '%s\\n' "$list" | awk -F', ' -v members="$members" 'NF >= 4 && index(members, "=" $4 ",") == 0 { printf "%s%s (%s)", sep, ($3 == "" ? "unstarted" : $3), $4; sep = ", " }')
if [ -n "$stray" ]; then echo "the etcd cluster has members the inventory does not name: $stray; remove them first (kubesmith remove, or etcdctl member remove), or put them back in the inventory" >&2; exit 3; fi
mine=$(printf '%s\\n' "$list" | awk -F', ' -v n="$name" -v u="$url" '$3 == n || $4 == u')
if [ -n "$mine" ]; then
  case "$mine" in *", $url, "*) echo "already a member: $mine"; exit 0 ;; esac
  echo "the cluster lists a member named $name with other peer URLs: $mine; remove it (etcdctl member remove) or rename the host" >&2; exit 3
fi
if [ -d "$data/member" ]; then echo "$data/member exists on this host but the cluster does not list $name: it belongs to another cluster; move it away, then run apply again" >&2; exit 3; fi
reconf "$@" member add "$name" --peer-urls="$url" --learner`;

/** $1 peer URL, then etcdctl argv: promotes the learner once the leader lets it (it must catch up first). */
const PROMOTE_SH = `url=$1; shift
i=0
while :; do
  row=$("$@" member list -w simple | awk -F', ' -v u="$url" '$4 == u')
  [ -n "$row" ] || { echo "no etcd member has the peer URL $url" >&2; exit 1; }
  case "$row" in *", false") echo "a voting member: $row"; exit 0 ;; esac
  out=$("$@" member promote "\${row%%,*}" 2>&1) && { echo "$out"; exit 0; }
  i=$((i + 1)); [ $i -lt 240 ] || { echo "not promoted within 120 s: $out" >&2; exit 1; }
  sleep 0.5
done`;

/** The joiner's steps around its etcd start: add (before), promote (after). Empty unless `host` joins. */
export function joinSteps(plan: ClusterPlan, host: PlannedHost): { readonly before: readonly Step[]; readonly after: readonly Step[] } {
  const { joiners, members } = etcdBootstraps(plan.inventory, plan.pki.identity?.etcdMembers);
  if (!joiners.includes(host.host.name)) return { before: [], after: [] };
  const etcdHosts = plan.hosts.filter((h) => members.has(h.host.name));
  const running = etcdHosts.filter((h) => !joiners.includes(h.host.name));
  const ctl = plainEtcdctlArgv(plan, host, running.map(memberEndpoint));
  if (!ctl || running.length === 0) return { before: [], after: [] };
  const name = host.host.name;
  return {
    before: [{
      kind: 'exec',
      argv: ['sh', '-c', ADD_SH, 'etcd-add', name, peerUrl(host.host), remoteLayout(plan.inventory).etcdData, etcdHosts.map((h) => peerEntry(h.host)).join(','), ...ctl],
      why: `${name} joins the running etcd cluster as a learner (no quorum change until it is promoted)`,
      label: `etcdctl member add ${name} --peer-urls=${peerUrl(host.host)} --learner (through ${running.map((h) => h.host.name).join(', ')})`,
    }],
    after: [{
      kind: 'exec',
      argv: ['sh', '-c', PROMOTE_SH, 'etcd-promote', peerUrl(host.host), ...ctl],
      why: `${name} becomes a voting member once it has caught up with the leader`,
      label: `etcdctl member promote ${name} (once in sync)`,
    }],
  };
}

/**
 * `steps` with the add before etcd's first start or restart, and the promote after it. When etcd
 * is not started (its binary does not run yet: a dry-run before the binaries phase shipped it, or
 * a stub), nothing is added to the cluster, and a note says what a run with a working etcd does.
 */
export function withJoin(steps: readonly Step[], join: ReturnType<typeof joinSteps>): readonly Step[] {
  if (join.before.length === 0) return steps;
  const first = steps.findIndex((s) => s.kind === 'systemd' && s.unit === 'etcd.service' && (s.action === 'restart' || s.action === 'start'));
  if (first >= 0) return [...steps.slice(0, first), ...join.before, ...steps.slice(first), ...join.after];
  const what = [...join.before, ...join.after].map((s) => (s.kind === 'exec' ? (s.label ?? s.why) : '')).join(', then ');
  return [...steps, { kind: 'note', message: `once etcd runs here: ${what}` }];
}
