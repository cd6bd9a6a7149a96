/**
 * Issue #12 part 3: certificates that had already expired on the hosts when apply started.
 * - gather-facts' "@leafcerts" section, run by the real sh/awk on real files: only certificate
 *   blocks leave the host (kubelet-client-current.pem holds the key too), and the parser keeps the
 *   expired ones by the host's clock;
 * - the etcd and nodes phases: a member whose certificates expired is said so and restarted
 *   whatever changed; a kubelet whose client certificate expired is restarted to re-bootstrap.
 */
import { execFileSync } from 'node:child_process';
import PQueue from 'p-queue';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { factsScript, leafCertsScript, parseFacts, parseLeafCerts } from '../../../src/deploy/phases/_facts.js';
import { kubeletClientCertPath, watchedCerts } from '../../../src/deploy/expired-certs.js';
import { etcd } from '../../../src/deploy/phases/etcd.js';
import { nodes } from '../../../src/deploy/phases/nodes.js';
import { controlPlane } from '../../../src/deploy/phases/control-plane.js';
import { markRolling } from '../../../src/deploy/rollout-plan.js';
import { executeSteps } from '../../../src/deploy/executor.js';
import { newHostRunState } from '../../../src/deploy/dry-run.js';
import { FakeHost } from '../../support/fake-host.js';
import type { HostFacts, PhaseInput, Step } from '../../../src/deploy/phase.js';
import type { ClusterPlan, PlannedHost } from '../../../src/plan/types.js';
import { datedCert, datedCertKey } from '../../support/dated-cert.js';
import { realPlan } from '../phases/_real-plan.js';

const DAY = 86_400_000;
let dir: string;
let expiredPem: string;
let validPem: string;
let plan: ClusterPlan;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ks-expired-'));
  [expiredPem, validPem, plan] = await Promise.all([datedCert(new Date(Date.now() - 2 * DAY)), datedCert(new Date(Date.now() + 300 * DAY)), realPlan()]);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('reading deployed leaf certificates (gather-facts)', () => {
  it('prints only certificate blocks, never a key, and keeps the expired ones by the host clock', () => {
    const key = datedCertKey();
    const files = {
      expired: [join(dir, 'peer.pem'), expiredPem],
      // kubelet-client-current.pem: certificate then key in one file
      kubelet: [join(dir, 'kubelet-client-current.pem'), `${expiredPem}${key}`],
      valid: [join(dir, 'server.pem'), validPem],
      // a certificate cut short before the key: the key must still not be printed
      cut: [join(dir, 'cut.pem'), `${expiredPem.split('\n').slice(0, 4).join('\n')}\n${key}`],
      keyOnly: [join(dir, 'key-only.pem'), key],
    } as const;
    for (const [path, text] of Object.values(files)) writeFileSync(path, text);
    const paths = [...Object.values(files).map(([p]) => p), join(dir, 'missing.pem')];
    const out = execFileSync('sh', ['-c', factsScript([], paths)], { encoding: 'utf8' });
    expect(out).not.toMatch(/PRIVATE KEY/);
    expect(out).not.toContain(key.split('\n')[1]);
    const facts = parseFacts(out, Date.now());
    expect([...(facts.expiredCerts ?? new Map()).keys()].sort()).toEqual([files.expired[0], files.kubelet[0]].sort());
    expect(facts.expiredCerts?.get(files.kubelet[0])?.getTime()).toBeLessThan(Date.now());
    // The separate probe approve-kubelet-csrs uses reads the same way.
    const again = parseLeafCerts(execFileSync('sh', ['-c', leafCertsScript(paths)], { encoding: 'utf8' }), Date.now());
    expect([...again.keys()].sort()).toEqual([files.expired[0], files.kubelet[0]].sort());
  });

  it('judges expiry by the host clock: a host two days behind still sees the certificate as valid', () => {
    const out = `@time\n${Date.now() - 3 * DAY}\n@leafcerts\n#kubesmith-file /opt/etcd/ssl/peer.pem\n${expiredPem}`;
    expect(parseFacts(out, Date.now()).expiredCerts?.size).toBe(0);
    expect(parseFacts(out.replace(/^\d+$/m, String(Date.now())), Date.now()).expiredCerts?.size).toBe(1);
  });

  it('watches every certificate a unit runs on (files and kubeconfigs with restarts) and the kubelet client certificate', () => {
    const of = (name: string): readonly string[] => watchedCerts(plan, plan.hosts.find((h) => h.host.name === name) as PlannedHost).map((w) => `${w.format} ${w.path} ${w.units.join(',')}`);
    const master01 = of('master01');
    expect(master01).toEqual(
      expect.arrayContaining([
        'pem /opt/etcd/ssl/peer.pem etcd.service',
        'pem /opt/etcd/ssl/server.pem etcd.service',
        'kubeconfig /opt/kubernetes/cfg/kube-controller-manager.kubeconfig kube-controller-manager.service',
        'kubeconfig /opt/kubernetes/cfg/kube-proxy.kubeconfig kube-proxy.service',
        `pem ${kubeletClientCertPath(plan)} kubelet.service`,
      ]),
    );
    expect(master01.some((w) => w.includes('/ssl/apiserver.pem kube-apiserver.service'))).toBe(true);
    // Keys are never read; the bootstrap kubeconfig (a token, no certificate, no restart) neither.
    expect(master01.filter((w) => /key|bootstrap/.test(w))).toEqual([]);
    expect(of('master02').some((w) => w.includes('/opt/etcd/'))).toBe(false);
  });

  it('reads a kubeconfig client certificate (never its key) and keeps it when expired', () => {
    const artifact = plan.hosts.flatMap((h) => h.artifacts).find((a) => a.path.endsWith('/kube-proxy.kubeconfig'));
    const text = String(artifact?.content).replace(/client-certificate-data: .*/, `client-certificate-data: ${Buffer.from(expiredPem).toString('base64')}`);
    const keyData = /client-key-data: (.*)/.exec(text)?.[1] ?? '';
    expect(keyData.length).toBeGreaterThan(20);
    const path = join(dir, 'kube-proxy.kubeconfig');
    writeFileSync(path, text);
    const out = execFileSync('sh', ['-c', factsScript([], [], [path, join(dir, 'none.kubeconfig')])], { encoding: 'utf8' });
    expect(out).not.toContain(keyData);
    expect(out).not.toMatch(/PRIVATE KEY/);
    expect([...(parseFacts(out, Date.now()).expiredCerts ?? new Map()).keys()]).toEqual([path]);
    const valid = join(dir, 'valid.kubeconfig');
    writeFileSync(valid, String(artifact?.content));
    expect(parseFacts(execFileSync('sh', ['-c', factsScript([], [], [valid])], { encoding: 'utf8' }), Date.now()).expiredCerts?.size).toBe(0);
  });
});

describe('phases with expired certificates on the host', () => {
  const input = (name: string, facts: HostFacts): PhaseInput => ({ plan, host: plan.hosts.find((h) => h.host.name === name) as PlannedHost, facts, activeHosts: plan.hosts.map((h) => h.host.name) });
  const running = (name: string): Map<string, string> => new Map((plan.hosts.find((h) => h.host.name === name)?.artifacts ?? []).filter((a) => a.mode === 0o755).map((a) => [a.path, 'v1'] as const));
  const restarts = (steps: readonly Step[], unit: string): Step[] => steps.filter((s) => s.kind === 'systemd' && s.action === 'restart' && s.unit === unit);
  const notes = (steps: readonly Step[]): string[] => steps.flatMap((s) => (s.kind === 'note' ? [s.message] : []));

  it('etcd: a member whose peer/server certificates expired restarts whatever changed, with the reason', () => {
    const expired = new Map([['/opt/etcd/ssl/peer.pem', new Date('2025-01-01T00:00:00Z')], ['/opt/etcd/ssl/server.pem', new Date('2025-01-01T00:00:00Z')]]);
    const before = etcd.plan(input('node01', { runnable: running('node01') }));
    expect(restarts(before, 'etcd.service')).toEqual([expect.objectContaining({ when: 'changed' })]);
    const i = input('node01', { runnable: running('node01'), expiredCerts: expired });
    const steps = etcd.plan(i);
    expect(restarts(steps, 'etcd.service')).toEqual([expect.objectContaining({ when: 'always', noBlock: true })]);
    // At once in the phase's pass, every expired member together: never deferred to the rolling restart.
    expect(restarts(markRolling(steps), 'etcd.service')).toEqual([expect.objectContaining({ when: 'always', rolling: false })]);
    expect(restarts(markRolling(before), 'etcd.service')).toEqual([expect.objectContaining({ when: 'changed', rolling: true })]);
    expect(notes(steps).join('\n')).toMatch(/etcd: certificates deployed here expired \(peer\.pem expired 2025-01-01T00:00:00Z, server\.pem expired 2025-01-01T00:00:00Z\).*restarts together/);
    expect(etcd.check?.(i)).toEqual([expect.objectContaining({ severity: 'warning', message: expect.stringMatching(/^etcd: certificates deployed here expired/) })]);
    // An expired kubelet certificate is none of etcd's business.
    expect(etcd.check?.(input('node01', { expiredCerts: new Map([[kubeletClientCertPath(plan), new Date(0)]]) }))).toEqual([]);
  });

  it('nodes: a kubelet whose client certificate expired is restarted so it re-bootstraps; others are not', () => {
    const expired = new Map([[kubeletClientCertPath(plan), new Date('2025-01-01T00:00:00Z')]]);
    const i = input('node02', { runnable: running('node02'), expiredCerts: expired });
    const steps = nodes.plan(i);
    expect(restarts(steps, 'kubelet.service')).toEqual([expect.objectContaining({ when: 'always' })]);
    // A deferred restart is done by the rollout only where a pending-restart marker says an input changed.
    expect(restarts(markRolling(steps), 'kubelet.service')).toEqual([expect.objectContaining({ when: 'always', rolling: false })]);
    expect(restarts(steps, 'kube-proxy.service')).toEqual([expect.objectContaining({ when: 'changed' })]);
    expect(notes(steps).join('\n')).toMatch(/kubelet: its client certificate expired \(kubelet-client-current\.pem expired 2025-01-01T00:00:00Z\): restarting kubelet so it re-bootstraps with the bootstrap token/);
    expect(nodes.check?.(i)).toHaveLength(1);
    // A stub kubelet (its binary does not run) was never started: nothing to say or restart.
    expect(nodes.check?.(input('node02', { runnable: new Map(), expiredCerts: expired }))).toEqual([]);
    const fine = nodes.plan(input('node02', { runnable: running('node02'), expiredCerts: new Map() }));
    expect(restarts(fine, 'kubelet.service')).toEqual([expect.objectContaining({ when: 'changed' })]);
    expect(nodes.check?.(input('node02', { expiredCerts: new Map() }))).toEqual([]);
  });

  it('control plane and kube-proxy: a unit on an expired kubeconfig certificate restarts at once (its readiness would look at the broken old process first)', () => {
    const cm = '/opt/kubernetes/cfg/kube-controller-manager.kubeconfig';
    const i = input('master01', { runnable: running('master01'), expiredCerts: new Map([[cm, new Date('2025-01-01T00:00:00Z')]]) });
    const steps = markRolling(controlPlane.plan(i));
    expect(restarts(steps, 'kube-controller-manager.service')).toEqual([expect.objectContaining({ when: 'always', rolling: false })]);
    expect(restarts(steps, 'kube-apiserver.service')).toEqual([expect.objectContaining({ when: 'changed', rolling: true })]);
    expect(controlPlane.check?.(i)).toEqual([expect.objectContaining({ message: expect.stringMatching(/^kube-controller-manager: certificates it runs on expired \(kube-controller-manager\.kubeconfig expired 2025-01-01T00:00:00Z\): it cannot work on them, so it restarts at once/) })]);
    const proxy = input('node01', { runnable: running('node01'), expiredCerts: new Map([['/opt/kubernetes/cfg/kube-proxy.kubeconfig', new Date(0)]]) });
    expect(restarts(markRolling(nodes.plan(proxy)), 'kube-proxy.service')).toEqual([expect.objectContaining({ when: 'always', rolling: false })]);
    expect(restarts(markRolling(nodes.plan(proxy)), 'kubelet.service')).toEqual([expect.objectContaining({ when: 'changed', rolling: true })]);
  });

  it('the restart really happens on a running kubelet in the rolling nodes phase (found by the e2e: a deferred restart was lost)', async () => {
    const expired = new Map([[kubeletClientCertPath(plan), new Date('2025-01-01T00:00:00Z')]]);
    const steps = markRolling(nodes.plan(input('node02', { runnable: running('node02'), expiredCerts: expired })).filter((s) => s.kind === 'systemd' && s.unit === 'kubelet.service'));
    const host = new FakeHost('node02');
    host.units.set('kubelet.service', { enabled: true, active: true });
    const state = newHostRunState();
    await executeSteps(host, steps, state, { phase: 'nodes', emit: () => undefined, signal: new AbortController().signal, uploads: new PQueue({ concurrency: 1 }), clock: { now: () => new Date() } });
    expect(host.log).toContain('exec systemctl restart kubelet.service');
    expect([...state.deferredRestarts]).toEqual([]);
  });
});
