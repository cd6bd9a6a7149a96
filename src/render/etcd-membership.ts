/**
 * How each etcd member of the inventory starts for the first time. etcd reads `initial-cluster`
 * and `initial-cluster-state` only when its data directory is empty, and a member that joins a
 * running cluster needs `existing` with exactly the members the cluster has once it is added;
 * `new` there would bootstrap a second cluster beside the first. So the values a member first
 * started on are recorded in the cluster identity record (pki/cluster.json, `etcdMembers`, written
 * by apply) and rendered unchanged from then on:
 * - no member recorded yet (a new cluster, or one deployed before the record existed): every
 *   member is a founder, `new`, with every inventory member listed (what was always rendered);
 * - a recorded member: its recorded values, whatever the inventory says now (adding or removing a
 *   member restarts no other member), except that a member still in the inventory is listed at its
 *   address there (a member restored onto a new IP, `etcd restore`, is listed where it runs);
 * - an inventory member not recorded: it joins, `existing`, with the recorded members still in the
 *   inventory plus itself. etcd takes one new member at a time (learner, then promoted), so more
 *   than one joiner is refused before anything is written (preflight).
 */
import type { Inventory, InventoryHost } from '../inventory/types.js';
import { hostsWithRole } from '../inventory/types.js';
import type { EtcdBootstrap } from '../pki/identity.js';
import { hostPart } from './endpoints.js';

/** "name=https://ip:2380" for one member. */
export function peerEntry(h: InventoryHost): string {
  return `${h.name}=${peerUrl(h)}`;
}

/** The member's peer URL as its config advertises it. */
export function peerUrl(h: InventoryHost): string {
  return `https://${hostPart(h.internalIP)}:2380`;
}

/** The first-start values of every inventory etcd member, and which of them join a running cluster. */
export function etcdBootstraps(inv: Inventory, recorded: Readonly<Record<string, EtcdBootstrap>> | undefined): { readonly members: ReadonlyMap<string, EtcdBootstrap>; readonly joiners: readonly string[] } {
  const members = hostsWithRole(inv, 'etcd');
  const known = recorded ?? {};
  const running = members.filter((m) => known[m.name] !== undefined);
  if (running.length === 0) {
    const initialCluster = members.map(peerEntry).join(',');
    return { members: new Map(members.map((m) => [m.name, { initialClusterState: 'new', initialCluster }])), joiners: [] };
  }
  const out = new Map<string, EtcdBootstrap>();
  const joiners: string[] = [];
  for (const m of members) {
    const r = known[m.name];
    if (r) out.set(m.name, { initialClusterState: r.initialClusterState, initialCluster: current(r.initialCluster, members) });
    else {
      joiners.push(m.name);
      out.set(m.name, { initialClusterState: 'existing', initialCluster: [...running, m].map(peerEntry).join(',') });
    }
  }
  return { members: out, joiners };
}

/** A recorded initial-cluster with each member still in the inventory at its address there. */
function current(initialCluster: string, members: readonly InventoryHost[]): string {
  return initialCluster
    .split(',')
    .map((entry) => {
      const h = members.find((m) => m.name === entry.slice(0, entry.indexOf('=')));
      return h ? peerEntry(h) : entry;
    })
    .join(',');
}
