/**
 * Shared setup for the API phase tests: the fake apiserver (there is no kube-apiserver binary on
 * this machine or in CI; see test/support/fake-apiserver.ts), a super-admin client certificate made
 * by openssl next to the test PKI's admin, an ApiAccess that opens clients to the fake and records
 * which identity was asked for, and in-memory hosts whose Kubernetes binaries run or are stubs.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ApiAccess, ApiIdentity } from '../../../src/deploy/phases/_api-access.js';
import { runPhases, type Transport } from '../../../src/deploy/runner.js';
import type { DeployEvent } from '../../../src/deploy/events.js';
import type { Phase } from '../../../src/deploy/phase.js';
import { connect } from '../../../src/deploy/phases/connect.js';
import { KubeClient } from '../../../src/kube/client.js';
import { createHttpsTransport } from '../../../src/kube/https-transport.js';
import type { ClusterPlan } from '../../../src/plan/types.js';
import type { Clock } from '../../../src/shared/clock.js';
import { FakeHost } from '../../support/fake-host.js';
import type { FakeApiServer } from '../../support/fake-apiserver.js';
import type { TestPki } from '../../kube/support/test-pki.js';

/** CN=kubernetes-super-admin, O=system:masters, signed by the test CA (what pki/profiles.yaml issues). */
export function superAdminPair(pki: TestPki): { certPem: string; keyPem: string } {
  const run = (args: readonly string[]): void => void execFileSync('openssl', args, { cwd: pki.dir, stdio: ['ignore', 'ignore', 'pipe'] });
  writeFileSync(join(pki.dir, 'super.ext'), 'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\n');
  run(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'super.key', '-out', 'super.csr', '-subj', '/O=system:masters/CN=kubernetes-super-admin']);
  run(['x509', '-req', '-in', 'super.csr', '-CA', pki.ca.certFile, '-CAkey', pki.ca.keyFile, '-set_serial', '77', '-days', '1', '-out', 'super.crt', '-extfile', 'super.ext']);
  return { certPem: readFileSync(join(pki.dir, 'super.crt'), 'utf8'), keyPem: readFileSync(join(pki.dir, 'super.key'), 'utf8') };
}

/** ApiAccess to the fake; `opened` lists "host identity" per session. */
export function fakeAccess(api: FakeApiServer, pki: TestPki, clock: Clock): ApiAccess & { readonly opened: string[] } {
  const superAdmin = superAdminPair(pki);
  const opened: string[] = [];
  return {
    opened,
    open: async (_plan, host, identity: ApiIdentity, ctx) => {
      opened.push(`${host} ${identity}`);
      const pair = identity === 'super-admin' ? superAdmin : pki.admin;
      const transport = createHttpsTransport({ caPem: pki.ca.certPem, certPem: pair.certPem, keyPem: pair.keyPem }, { kind: 'direct', host: '127.0.0.1', port: api.port });
      return { client: new KubeClient({ transport, clock, signal: ctx.signal, retryForMs: 2_000 }), close: () => transport.close() };
    },
  };
}

/** A real clock shifted so the plan's bootstrap token is valid for another hour. */
export function clockBefore(expires: Date): Clock {
  const offset = expires.getTime() - 3_600_000 - Date.now();
  return { now: () => new Date(Date.now() + offset) };
}

/** In-memory hosts; `--version` of Kubernetes binaries succeeds only when `realKube`. */
export function fleet(plan: ClusterPlan, realKube: boolean): Map<string, FakeHost> {
  return new Map(
    plan.hosts.map((h) => {
      const f = new FakeHost(h.host.name);
      f.on(
        (a) => a.includes('--version'),
        () => (realKube ? { exitCode: 0, stdout: 'Kubernetes v1.31.2\n', stderr: '' } : { exitCode: 1, stdout: 'kubesmith test stub', stderr: '' }),
      );
      return [h.host.name, f] as const;
    }),
  );
}

/** Runs `phases` (after connect) through the runner; returns the events. Throws what runPhases throws. */
export async function runApiPhases(plan: ClusterPlan, hosts: Map<string, FakeHost>, phases: readonly Phase[], o: { dryRun?: boolean; clock: Clock; only?: readonly string[]; verifyTimeoutMs?: number }): Promise<DeployEvent[]> {
  const events: DeployEvent[] = [];
  const transport: Transport = { connect: async (h) => hosts.get(h.name) as FakeHost, lock: async () => ({ release: async () => undefined }) };
  await runPhases({
    plan,
    phases: [connect, ...phases],
    dryRun: o.dryRun ?? false,
    transport,
    emit: (e) => events.push(e),
    signal: new AbortController().signal,
    clock: o.clock,
    ...(o.only ? { only: o.only } : {}),
    verifyTimeoutMs: o.verifyTimeoutMs ?? 20_000,
  });
  return events;
}

/** Every printed line an event stream would give: step texts, host-done notes, report rows. */
export function printed(events: readonly DeployEvent[]): string[] {
  return events.flatMap((e) =>
    e.type === 'step' ? [`${e.host}: ${e.status}: ${e.step}`] : e.type === 'host-done' ? e.notes.map((n) => `${e.host}: ${n}`) : e.type === 'report' ? [e.title, ...e.rows.map((r) => r.join(' | '))] : [],
  );
}
