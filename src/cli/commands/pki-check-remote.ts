/**
 * `kubesmith pki check --remote`: what the hosts really run. Builds the plan from the PKI state as
 * stored (nothing issued, nothing renewed: state/pki-inspect reads without writing), takes each
 * host's certificate files and kubeconfigs from it plus the kubelet's own certificates and the TLS
 * endpoints, asks every host in one SSH round trip (src/cli/remote-cert-probe.ts), and reports one
 * row per (host, certificate, place). Writes nothing on hosts; locally only the --prometheus file.
 */
import { isAbsolute, resolve } from 'node:path';
import { checkHostNames } from '../../deploy/phases/select.js';
import type { Inventory } from '../../inventory/types.js';
import { needsAttention } from '../../pki/remote/compare.js';
import { prometheusText } from '../../pki/remote/prometheus.js';
import { remoteReportJson } from '../../pki/remote/report-json.js';
import { remoteRows } from '../../pki/remote/rows.js';
import { formatRemoteReport } from '../../pki/remote/table.js';
import type { Clock } from '../../shared/clock.js';
import { publishTextFile } from '../../state/atomic-text-file.js';
import { NodeClock } from '../../state/node-sources.js';
import type { CommandContext } from '../command.js';
import { remoteCertPlan } from '../remote-cert-plan.js';
import { openSshReader, probeHosts, type ReaderOpener } from '../remote-cert-probe.js';

/** What the command needs from the outside world; tests and the bench replace it. */
export interface RemoteCheckDeps {
  readonly clock: Clock;
  readonly open: ReaderOpener;
}

/** Options, already parsed by pki-check.ts. */
export interface RemoteCheckOptions {
  readonly inventory: Inventory;
  readonly limit?: readonly string[];
  readonly json: boolean;
  readonly prometheus?: string;
  readonly warnMs?: number;
  readonly warnText?: string;
}

const DEFAULT_DEPS: RemoteCheckDeps = { clock: NodeClock, open: openSshReader };

/** Hosts asked at once without a bastion: each is one short read-only session, so more than apply's. */
export const CHECK_CONCURRENCY = 64;

/**
 * How many hosts to ask at once. Through a bastion, the inventory's concurrency.hosts: every
 * connection is a new session on the bastion, whose sshd drops unauthenticated connections beyond
 * MaxStartups (10 by default). Without one, each host sees a single connection.
 */
export function checkConcurrency(inv: Inventory): number {
  return inv.hosts.some((h) => h.ssh.bastion !== undefined) ? inv.concurrency.hosts : Math.max(inv.concurrency.hosts, CHECK_CONCURRENCY);
}

/** Runs the check; exit 0 when every row is in order, 1 when a host or a row needs attention. */
export async function runRemoteCheck(ctx: CommandContext, o: RemoteCheckOptions, deps: RemoteCheckDeps = DEFAULT_DEPS): Promise<number> {
  const inv = o.inventory;
  checkHostNames(inv.hosts.map((h) => h.name), o.limit);
  const { targets, cas, notes } = remoteCertPlan(inv, o.limit);
  const answers = await probeHosts(targets, new Map(inv.hosts.map((h) => [h.name, h])), { open: deps.open, concurrency: checkConcurrency(inv), env: ctx.env, signal: ctx.signal });
  const now = deps.clock.now();
  const { rows, failures } = remoteRows(targets, answers, cas, now);
  const hosts = targets.map((t) => ({ host: t.host, address: t.address }));
  if (o.json) {
    const doc = remoteReportJson({ cluster: inv.cluster.name, now, ...(o.warnMs !== undefined ? { warnMs: o.warnMs } : {}), hosts, failures, rows });
    ctx.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
  } else {
    ctx.stdout.write(
      formatRemoteReport(rows, { cluster: inv.cluster.name, now, hosts: hosts.length, unreachable: failures.length, ...(o.warnMs !== undefined ? { warnMs: o.warnMs } : {}), ...(o.warnText !== undefined ? { warnText: o.warnText } : {}) }),
    );
  }
  if (o.prometheus !== undefined) {
    const file = isAbsolute(o.prometheus) ? o.prometheus : resolve(ctx.cwd, o.prometheus);
    publishTextFile(file, prometheusText(inv.cluster.name, now, hosts.map((h) => h.host), new Set(failures.map((f) => f.host)), rows));
  }
  for (const n of notes) ctx.stderr.write(`problem: ${n}\n`);
  const flagged = rows.filter((r) => needsAttention(r, o.warnMs));
  if (failures.length > 0) ctx.stderr.write(`${failures.length} of ${hosts.length} host${hosts.length === 1 ? '' : 's'} could not be checked: ${failures.map((f) => f.host).join(', ')}\n`);
  if (flagged.length === 0) return notes.length > 0 ? 1 : 0;
  ctx.stderr.write(
    'renew with `kubesmith pki renew NAMES`, install what the state holds with `kubesmith apply`; a served certificate that differs from its file is loaded by restarting its service\n',
  );
  return 1;
}
