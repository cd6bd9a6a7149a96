/**
 * `kubesmith remove HOST` for an etcd member, as phases for the one runner and executor:
 *   connect (not a gate: a dead member is the usual one to remove) -> lock ->
 *   etcd-members (each member's health, id and leader) ->
 *   etcd-member-remove (on one healthy remaining member, the leader when it can: moves the
 *     leadership away first when HOST leads, then `etcdctl member remove`; refused before anything
 *     changes when the remaining members would not keep a quorum) ->
 *   etcd-teardown (on HOST, only once the remaining members no longer list it: etcd stopped and
 *     disabled, every file kubesmith put there removed, the data directory moved aside unless kept).
 * The choice of member is pure and made alike on every host from PhaseInput.peers.
 */
import { RECONF_FN } from './_etcd-reconfig.js';
import type { ClusterPlan, PlannedHost } from '../../plan/types.js';
import type { EtcdMemberFact } from '../etcd-facts.js';
import type { Phase, PhaseInput, Problem, Step } from '../phase.js';
import { dataDirStep, removeFilesSteps } from './_teardown.js';
import { connect } from './connect.js';
import { lock } from './lock.js';
import { etcdMembers, memberEndpoint } from './_etcd-backup.js';
import { plainEtcdctlArgv } from './_etcd-health.js';
import { etcdMembersPhase } from './etcd-snapshot.js';
import { peerUrl } from '../../render/etcd-membership.js';
import { remoteLayout } from '../../render/layout.js';

const ctlOf = (plan: ClusterPlan, h: PlannedHost, on: readonly PlannedHost[]) => plainEtcdctlArgv(plan, h, on.map(memberEndpoint));
const factOf = (input: PhaseInput, host: string): EtcdMemberFact | undefined => input.peers?.get(host)?.etcdMember;

/** Who removes `target`, or why nobody may: the remaining members must keep a quorum, now and after. */
export function removalPick(input: PhaseInput, target: string): { host: string; moveLeaderTo?: string } | { error: string } {
  const all = etcdMembers(input.plan).map((m) => m.host.name);
  if (!all.includes(target)) return { error: `${target} is not an etcd member in the inventory` };
  const rest = all.filter((h) => h !== target);
  if (rest.length === 0) return { error: `${target} is the only etcd member: removing it removes the cluster's data` };
  const healthy = all.filter((h) => factOf(input, h)?.healthy === true);
  const healthyRest = rest.filter((h) => healthy.includes(h));
  const quorumNow = Math.floor(all.length / 2) + 1;
  const quorumAfter = Math.floor(rest.length / 2) + 1;
  if (healthy.length < quorumNow || healthyRest.length < quorumAfter) {
    return { error: `${healthyRest.length} of the ${rest.length} remaining members are healthy (${healthyRest.join(', ') || 'none'}): the removal needs ${quorumNow} healthy members now and leaves ${quorumAfter} needed after; bring the others back first` };
  }
  const t = factOf(input, target);
  const leaderId = healthyRest.map((h) => factOf(input, h)?.leaderId).find((id) => id !== undefined && id !== '0');
  const leader = healthyRest.find((h) => factOf(input, h)?.memberId === leaderId);
  const host = leader ?? healthyRest[0] ?? '';
  const hostId = factOf(input, host)?.memberId;
  const targetLeads = t?.healthy === true && t.memberId !== undefined && t.memberId === leaderId;
  return targetLeads && hostId !== undefined ? { host, moveLeaderTo: BigInt(hostId).toString(16) } : { host };
}

/**
 * $1 peer URL of the member to remove, $2 hex id to hand the leadership to first ("-": none), $3 the
 * removed member's client endpoint, then the etcdctl argv with the remaining members' endpoints.
 * move-leader must reach the leader, which is the removed member then: its endpoint is added for that
 * call only. The removal itself never goes through the removed member: it stops as soon as it is
 * removed, and a request it was answering fails with "etcdserver: server stopped" (seen on a real
 * cluster), although the removal took effect.
 * A removal etcd refuses as transient is asked again (_etcd-reconfig.ts).
 */
export const REMOVE_SH = `${RECONF_FN}
url=$1 to=$2 its=$3; shift 3
list=$("$@" member list -w simple) || { echo "cannot list the etcd members through $*" >&2; exit 1; }
row=$(printf '%s\\n' "$list" | awk -F', ' -v u="$url" '$4 == u')
[ -n "$row" ] || { echo "no member has the peer URL $url: already removed"; exit 0; }
if [ "$to" != - ]; then "$@" --endpoints="$its" move-leader "$to" || exit 1; fi
reconf "$@" member remove "\${row%%,*}"`;


/** The refusal of removalPick, reported once (by the first remaining member of the run). */
function quorumProblems(input: PhaseInput, target: string): readonly Problem[] {
  const pick = removalPick(input, target);
  if (!('error' in pick) || input.activeHosts.find((h) => h !== target) !== input.host.host.name) return [];
  return [{ severity: 'error', message: `not removing ${target}: ${pick.error}`, hint: 'nothing was changed; see `kubesmith status -i INV` and `journalctl -u etcd` on the members' }];
}

/**
 * The same quorum check as a gate before anything else of a removal changes (a node's drain comes
 * first): a removal etcd would refuse must not leave the node drained and stopped. The members are
 * asked again right before the removal itself (etcdRemoveSteps).
 */
export function etcdRemovalGate(target: string): readonly Phase[] {
  return [
    { ...etcdMembersPhase, id: 'etcd-members-before' },
    { id: 'etcd-quorum-check', title: `Check that the etcd members keep a quorum without ${target}`, gate: true, hosts: (plan) => etcdMembers(plan).filter((m) => m.host.name !== target), check: (input) => quorumProblems(input, target), plan: () => [] },
  ];
}

/** Removes `target` from the cluster through the picked member. */
export function etcdMemberRemove(target: string): Phase {
  return {
    id: 'etcd-member-remove',
    title: `Remove ${target} from the etcd cluster`,
    hosts: (plan) => etcdMembers(plan).filter((m) => m.host.name !== target),
    check: (input) => quorumProblems(input, target),
    plan: (input): readonly Step[] => {
      const pick = removalPick(input, target);
      if ('error' in pick || pick.host !== input.host.host.name) return [];
      const t = etcdMembers(input.plan).find((m) => m.host.name === target);
      const ctl = t && ctlOf(input.plan, input.host, etcdMembers(input.plan).filter((m) => m.host.name !== target));
      if (!t || !ctl) return [{ kind: 'note', message: 'no healthcheck-client certificate in the plan: cannot ask etcd to remove the member' }];
      const lead = pick.moveLeaderTo ? `etcdctl move-leader ${pick.moveLeaderTo} (${target} leads), then ` : '';
      return [{
        kind: 'exec',
        argv: ['sh', '-c', REMOVE_SH, 'etcd-remove', peerUrl(t.host), pick.moveLeaderTo ?? '-', memberEndpoint(t), ...ctl],
        why: `${target} leaves the cluster; the others keep their quorum`,
        label: `${lead}etcdctl member remove ${target} (${peerUrl(t.host)})`,
      }];
    },
  };
}

/** On `target` once the others no longer list it: etcd stopped and disabled, kubesmith's files removed, the data moved aside (unless kept). */
export function etcdTeardown(target: string, keepData: boolean): Phase {
  return {
    id: 'etcd-teardown',
    title: `Stop etcd on ${target} and remove kubesmith's files`,
    hosts: (plan) => etcdMembers(plan).filter((m) => m.host.name === target),
    gather: async (host, { plan, host: planned }, ctx) => {
      if (ctx.dryRun) return {};
      const ctl = ctlOf(plan, planned, etcdMembers(plan).filter((m) => m.host.name !== target));
      if (!ctl) return { etcdListed: { error: 'no healthcheck-client certificate in the plan' } };
      const r = await host.probe([...ctl, 'member', 'list', '-w', 'simple'], { signal: ctx.signal, timeoutMs: 30_000 });
      if (r.exitCode !== 0) return { etcdListed: { error: r.stderr.trim().split('\n').at(-1) ?? `exit ${r.exitCode}` } };
      return { etcdListed: { listed: r.stdout.split('\n').some((l) => l.split(', ')[3] === peerUrl(planned.host)) } };
    },
    check: ({ facts }) => {
      const f = facts.etcdListed;
      if (f === undefined || ('listed' in f && !f.listed)) return [];
      const why = 'error' in f ? `the remaining members could not be asked (${f.error})` : 'the remaining members still list it';
      return [{ severity: 'error', message: `not stopping etcd on ${target}: ${why}`, hint: 'it is stopped only once it left the cluster; run `kubesmith remove` again once the members answer' }];
    },
    plan: ({ plan, host }): readonly Step[] => {
      const data = remoteLayout(plan.inventory).etcdData;
      const files = host.artifacts.map((a) => a.path);
      return [
        { kind: 'exec', argv: ['systemctl', 'disable', '--now', 'etcd.service'], unless: ['sh', '-c', '! systemctl is-active --quiet etcd.service && ! systemctl is-enabled --quiet etcd.service'], why: 'the removed member must not start again', label: 'systemctl disable --now etcd.service' },
        ...removeFilesSteps(host.artifacts, `${files.filter((f) => f.endsWith('.service')).join(', ')}, binaries, certificates and keys, config`),
        // The cluster has the data, but it is the operator's to drop.
        dataDirStep(data, keepData, 'a removed member must not start again on its old data'),
      ];
    },
  };
}

/** The etcd part of a removal (after connect and lock, and for a node after its drain and teardown). */
export function etcdRemoveSteps(target: string, keepData: boolean): readonly Phase[] {
  return [etcdMembersPhase, etcdMemberRemove(target), etcdTeardown(target, keepData)];
}

/** The remove program for an etcd-only member. */
export function etcdRemovePhases(target: string, keepData: boolean): readonly Phase[] {
  return [{ ...connect, gate: false }, lock, ...etcdRemoveSteps(target, keepData)];
}
