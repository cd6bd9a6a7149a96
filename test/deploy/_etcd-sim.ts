/**
 * A simulated etcd cluster behind the fake fleet, for the rolling restart tests: a blocking
 * `systemctl restart etcd.service` takes the member down for a few looks of the gate, then it lags
 * behind on the revision for one more; the leader moves when the leader restarts. It answers the
 * gate's one-round-trip script (status, health, status) from that state and records the most
 * members that were down at once, the invariant the rollout must keep.
 */
import type { ClusterPlan } from '../../src/plan/types.js';
import type { FakeHost } from '../support/fake-host.js';
import { ok } from './_fleet.js';

interface Member {
  readonly name: string;
  readonly endpoint: string;
  readonly id: number;
  down: number;
  lag: number;
  /** Does not come back after a restart until cleared (a member that fails its gate). */
  stuck: boolean;
  /** Unhealthy while systemd still says active (a member that lost its peers). */
  broken: boolean;
}

/** The simulation; attach() wires it into the fleet. */
export class EtcdSim {
  readonly members: Member[];
  leader: string;
  revision = 100;
  /** Host names in the order their etcd was restarted by a blocking (rolling) restart. */
  readonly restarts: string[] = [];
  maxDown = 0;
  looks = 0;
  /** Looks a restarted member stays down. */
  downLooks = 2;

  constructor(plan: ClusterPlan) {
    this.members = plan.hosts
      .filter((h) => h.host.roles.includes('etcd'))
      .map((h, i) => ({ name: h.host.name, endpoint: `https://${h.host.internalIP}:2379`, id: 1000 + i, down: 0, lag: 0, stuck: false, broken: false }));
    this.leader = this.members[0]?.name ?? '';
  }

  member(name: string): Member {
    const m = this.members.find((x) => x.name === name);
    if (!m) throw new Error(`no member ${name}`);
    return m;
  }

  private isDown(m: Member): boolean {
    return m.down > 0 || m.stuck;
  }

  /** Members not serving now (down, stuck or broken). */
  downNow(): number {
    return this.members.filter((m) => this.isDown(m) || m.broken).length;
  }

  attach(fleet: ReadonlyMap<string, FakeHost>): void {
    for (const m of this.members) {
      const host = fleet.get(m.name);
      if (!host) continue;
      host
        .on('systemctl restart etcd.service', () => {
          this.restart(m);
          host.units.set('etcd.service', { enabled: true, active: true });
          return ok();
        })
        .on((a) => a[0] === 'sh' && a[2]?.includes('@@kubesmith-gate@@') === true, () => ok(this.look()));
    }
  }

  private restart(m: Member): void {
    this.restarts.push(m.name);
    m.down = this.downLooks;
    m.lag = 1;
    m.broken = false;
    if (this.leader === m.name) this.leader = this.members.find((x) => x !== m && !this.isDown(x))?.name ?? '';
    this.maxDown = Math.max(this.maxDown, this.downNow());
  }

  private status(): string {
    const id = this.members.find((m) => m.name === this.leader)?.id ?? 0;
    const up = this.members.filter((m) => !this.isDown(m));
    return JSON.stringify(up.map((m) => ({ Endpoint: m.endpoint, Status: { header: { member_id: m.id, revision: m.lag > 0 ? this.revision - 10 : this.revision }, leader: id } })));
  }

  /** One answer to the gate's script. */
  look(): string {
    this.looks += 1;
    this.maxDown = Math.max(this.maxDown, this.downNow());
    const before = this.status();
    const health = this.members
      .flatMap((m) =>
        ['livez', 'readyz'].flatMap((p) =>
          this.isDown(m)
            ? [`--- kubesmith etcd ${p} ${m.endpoint}`, 'curl: (7) Failed to connect: Connection refused', '000 0.001']
            : m.broken && p === 'readyz'
              ? [`--- kubesmith etcd ${p} ${m.endpoint}`, '[-]linearizable_read failed: etcdserver: leader changed', '503 0.002']
              : [`--- kubesmith etcd ${p} ${m.endpoint}`, 'ok', '200 0.002'],
        ),
      )
      .join('\n');
    this.revision += 3; // writes keep arriving between the two status reads
    const after = this.status();
    for (const m of this.members) {
      if (m.down > 0) m.down -= 1;
      else if (m.lag > 0 && !m.stuck) m.lag -= 1;
    }
    if (this.leader === '' || this.isDown(this.member(this.leader))) this.leader = this.members.find((x) => !this.isDown(x))?.name ?? '';
    return `${before}\n@@kubesmith-gate@@\n${health}\n@@kubesmith-gate@@\n${after}\n`;
  }
}
