/**
 * The nodes of a Kubernetes upgrade (#10 part 3), around each wave of the nodes phase's rolling
 * restart (RollingRestart.guard): before a node's kubelet is replaced it is cordoned and drained
 * through the API (kube/drain.ts: PodDisruptionBudgets hold, DaemonSet and static pods stay; the
 * phase's parallel pass already put the new binary on disk, the running kubelet is the old one);
 * once the wave's gate held, apply waits for the Node to be Ready on the new kubelet version and
 * uncordons it. Only a cordon apply made is undone (kube/upgrade-cordon.ts marks it), and one an
 * interrupted run left is released at the start of the next rollout once that node is Ready on the
 * new version. An upgrade is the inventory's kubernetesVersion differing from the one the last full
 * apply recorded (plan/upgrade-path.ts); a renewed certificate restarts kubelets without a drain.
 */
import { drainNode, type DrainRules } from '../../kube/drain.js';
import { notReadyOn, releaseUpgradeCordon, UPGRADE_CORDON, upgradeCordoned } from '../../kube/upgrade-cordon.js';
import type { KubeClient } from '../../kube/client.js';
import type { ClusterPlan } from '../../plan/types.js';
import type { PhaseContext } from '../phase.js';
import type { GuardIo, WaveGuard } from '../wave-guard.js';
import { apiHost, withApi, type ApiAccess } from './_api-access.js';

/** How apply drains the nodes of an upgrade (apply --drain-timeout, --force, --delete-emptydir-data). */
export interface UpgradeDrainOptions extends DrainRules {
  readonly drainTimeoutMs: number;
  /** Pause between looks at a Node that is not Ready yet. @default 1000 */
  readonly pollMs?: number;
}

const KUBELET = 'kubelet.service';

/** The version an upgrade installs, or undefined when this apply upgrades nothing (no record, or the same version). */
export function upgradeTarget(plan: ClusterPlan): string | undefined {
  const recorded = plan.pki.identity?.versions?.kubernetes;
  const target = plan.inventory.cluster.kubernetesVersion;
  return recorded !== undefined && recorded !== target ? target : undefined;
}

/** The guard for the nodes phase. */
export function upgradeDrain(access: ApiAccess, o: UpgradeDrainOptions): WaveGuard {
  const session = <T>(io: GuardIo, fn: (client: KubeClient, ctx: PhaseContext) => Promise<T>): Promise<T> => {
    const via = apiHost(io.plan, [...io.reachable]);
    if (via === undefined) throw new Error('no control-plane host is part of this run to reach the API through (run without --limit)');
    const ctx: PhaseContext = { signal: io.signal, deadline: io.clock.now().getTime() + io.timeoutMs, clock: io.clock, dryRun: io.dryRun };
    return withApi(access, io.plan, via, 'admin', ctx, (client) => fn(client, ctx));
  };
  const waitReady = async (client: KubeClient, node: string, version: string, io: GuardIo): Promise<void> => {
    const deadline = io.clock.now().getTime() + io.timeoutMs;
    for (;;) {
      const why = await notReadyOn(client, node, version);
      if (why === undefined) return;
      if (io.clock.now().getTime() >= deadline) throw new Error(`${why} after ${Math.round(io.timeoutMs / 1000)} s; it stays cordoned`);
      io.signal.throwIfAborted();
      await new Promise((res) => setTimeout(res, o.pollMs ?? 1000));
    }
  };
  return {
    what: (plan) => {
      const target = upgradeTarget(plan);
      return target && `cordoned and drained before its kubelet is replaced and uncordoned once Ready on ${target}`;
    },
    async start(io) {
      const target = upgradeTarget(io.plan);
      if (target === undefined || io.dryRun) return [];
      return session(io, async (client) => {
        const lines: string[] = [];
        for (const left of await upgradeCordoned(client)) {
          if ((await notReadyOn(client, left.node, target)) !== undefined) continue; // its kubelet restarts in this rollout
          if (await releaseUpgradeCordon(client, left.node)) lines.push(`uncordoned ${left.node}: Ready on ${target} (left cordoned by an earlier, interrupted upgrade)`);
        }
        return lines;
      });
    },
    async before(hosts, io) {
      const target = upgradeTarget(io.plan);
      const nodes = hosts.filter((h) => io.states.get(h)?.deferredRestarts.has(KUBELET) === true);
      if (target === undefined || nodes.length === 0) return [];
      if (io.dryRun) return nodes.map((n) => `would cordon and drain ${n} before replacing its kubelet (${target})`);
      return session(io, async (client, ctx) => {
        const lines: string[] = [];
        // A node an interrupted run of this upgrade cordoned is cordoned already, but by us: it is uncordoned after.
        const ours = new Set((await upgradeCordoned(client)).map((c) => c.node));
        for (const node of nodes) {
          const out = await drainNode(client, node, { ...o, timeoutMs: o.drainTimeoutMs, clock: ctx.clock, signal: ctx.signal, cordonAnnotations: { [UPGRADE_CORDON]: target } });
          if (!out.ok) {
            throw new Error(`${out.error}. Its kubelet was not replaced; apply --force / --delete-emptydir-data evict such pods, --drain-timeout waits longer, --no-drain upgrades kubelets without draining (running pods survive a kubelet restart)`);
          }
          const refused = Object.values(out.refusals).reduce((a, b) => a + b, 0);
          lines.push(`drained ${node}: ${out.evicted.length} pod(s) evicted${refused ? ` (${refused} eviction(s) refused by a PodDisruptionBudget first)` : ''}${out.cordoned ? '' : ours.has(node) ? ' (cordoned by an earlier run of this upgrade)' : ' (it was cordoned already and stays so)'}`);
        }
        return lines;
      });
    },
    async after(hosts, io) {
      const target = upgradeTarget(io.plan);
      if (target === undefined) return [];
      if (io.dryRun) return [];
      return session(io, async (client) => {
        const lines: string[] = [];
        const marked = new Set((await upgradeCordoned(client)).map((c) => c.node));
        for (const node of hosts) {
          if (!marked.has(node)) continue;
          await waitReady(client, node, target, io);
          if (await releaseUpgradeCordon(client, node)) lines.push(`uncordoned ${node}: Ready on ${target}`);
        }
        return lines;
      });
    },
  };
}
