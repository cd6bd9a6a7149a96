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
import { sshReaderOpener, probeHosts, type ProbeTiming, type ReaderOpener } from '../remote-cert-probe.js';

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

/** The real clock and SSH, with one known_hosts reading for the whole check. */
const defaultDeps = (): RemoteCheckDeps => ({ clock: NodeClock, open: sshReaderOpener() });

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
export async function runRemoteCheck(ctx: CommandContext, o: RemoteCheckOptions, deps: RemoteCheckDeps = defaultDeps()): Promise<number> {
  const inv = o.inventory;
  checkHostNames(inv.hosts.map((h) => h.name), o.limit);
  const t0 = performance.now();
  const { targets, cas, notes } = remoteCertPlan(inv, o.limit);
  const t1 = performance.now();
  const timings = new Map<string, ProbeTiming>();
  const answers = await probeHosts(targets, new Map(inv.hosts.map((h) => [h.name, h])), { open: deps.open, concurrency: checkConcurrency(inv), env: ctx.env, signal: ctx.signal, timings });
  const t2 = performance.now();
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
  if (ctx.debug) ctx.stderr.write(`${timingLine(t1 - t0, t2 - t1, performance.now() - t2, timings)}\n`);
  for (const n of notes) ctx.stderr.write(`problem: ${n}\n`);
  const flagged = rows.filter((r) => needsAttention(r, o.warnMs));
  if (failures.length > 0) ctx.stderr.write(`${failures.length} of ${hosts.length} host${hosts.length === 1 ? '' : 's'} could not be checked: ${failures.map((f) => f.host).join(', ')}\n`);
  if (flagged.length === 0) return notes.length > 0 ? 1 : 0;
  ctx.stderr.write(
    'renew with `kubesmith pki renew NAMES`, install what the state holds with `kubesmith apply`; a served certificate that differs from its file is loaded by restarting its service\n',
  );
  return 1;
}

/** --debug: where the time went ("plan 40 ms, hosts 310 ms (slowest cp1: connect 120, probe 160, close 30 ms), report 4 ms"). */
function timingLine(planMs: number, hostsMs: number, reportMs: number, timings: ReadonlyMap<string, ProbeTiming>): string {
  const ms = (x: number): string => String(Math.round(x));
  const slowest = [...timings].sort(([, a], [, b]) => b.connectMs + b.probeMs + b.closeMs - (a.connectMs + a.probeMs + a.closeMs))[0];
  const detail = slowest ? ` (slowest ${slowest[0]}: connect ${ms(slowest[1].connectMs)}, probe ${ms(slowest[1].probeMs)}, close ${ms(slowest[1].closeMs)} ms)` : '';
  return `pki check --remote timings: plan ${ms(planMs)} ms, hosts ${ms(hostsMs)} ms${detail}, report ${ms(reportMs)} ms`;
}
