/**
 * The kubelet during a kubernetes CA rotation (src/deploy/phases/_kubelet-rotation.ts): the facts
 * probe run by a real sh on files laid out as a kubelet leaves them (certificate blocks only, never
 * the key), the per-stage decision from real certificates of the old and new CA, and the set-aside
 * step run for real (a symlink removed with its dated target kept, a regular file renamed).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { HostReader } from '../../../src/deploy/ssh/connection.js';
import type { PhaseContext, PhaseInput, Step } from '../../../src/deploy/phase.js';
import { kubeletFiles, kubeletRotation, kubeletTrustFacts, rebootstrapForRotation } from '../../../src/deploy/phases/_kubelet-rotation.js';
import type { Inventory } from '../../../src/inventory/types.js';
import { issueLeaf, loadCa } from '../../../src/pki/issue.js';
import { readCert } from '../../../src/pki/x509-read.js';
import type { PkiBundle } from '../../../src/pki/types.js';
import { generatePki } from '../../../src/state/pki-flow.js';
import { loadPkiState } from '../../../src/state/pki-store.js';
import { continueCaRotation, recordRotationApplied, startCaRotation } from '../../../src/state/rotation-flow.js';
import { exampleInventory } from '../../support/inventory-builder.js';
import { fixedClock, fixtureKeySource, seededEntropy } from '../../support/pki-fixture.js';

const base = exampleInventory();
const INV: Inventory = { ...base, pki: { ...base.pki, keyAlgorithm: 'ecdsa-p256' } };
const T0 = new Date('2026-05-01T08:00:00Z');
const src = (min: number, offset: number) => ({ clock: fixedClock(new Date(T0.getTime() + min * 60_000)), entropy: seededEntropy(`k${offset}`), keys: fixtureKeySource(offset) });
const CTX = { signal: new AbortController().signal, deadline: Number.MAX_SAFE_INTEGER, clock: fixedClock(T0), dryRun: false } as PhaseContext;
const b64 = (s: string): string => Buffer.from(s).toString('base64');

/** A HostReader that runs the probe with a real sh, the kubelet's paths moved under `root`. */
function localReader(root: string): HostReader {
  const move = (s: string): string => s.replaceAll('/var/lib/kubelet/pki', `${root}/pki`).replaceAll('/opt/kubernetes/cfg', `${root}/cfg`);
  return {
    name: 'node01',
    probe: async (argv: readonly string[]) => {
      try {
        return { exitCode: 0, stdout: execFileSync(argv[0]!, argv.slice(1).map(move), { encoding: 'utf8' }), stderr: '' };
      } catch (e) {
        return { exitCode: (e as { status: number }).status, stdout: '', stderr: String((e as { stderr?: string }).stderr) };
      }
    },
  } as unknown as HostReader;
}

/** A kubelet client certificate for node01 signed by `ca` (cert + key in one file, as the kubelet stores it). */
async function kubeletPem(ca: { certPem: string; keyPem: string }, offset: number): Promise<string> {
  const loaded = await loadCa(ca.certPem, ca.keyPem, readCert(ca.certPem).notAfter);
  const key = (await fixtureKeySource(offset).generate('ecdsa-p256')).privateKeyPem;
  const subject = { commonName: 'system:node:node01', organizations: ['system:nodes'], usages: ['clientAuth' as const], sans: { dns: [], ips: [] }, validityDays: 30 };
  const leaf = await issueLeaf(subject, key, loaded, src(0, offset));
  return `${leaf.certPem}${leaf.keyPem}`;
}

/** Lays out a kubelet's files under `root`; returns the facts the probe reads back. */
async function kubeletOn(root: string, caPems: readonly string[], client: string, serving: string, plan: { inventory: Inventory; pki: PkiBundle }) {
  mkdirSync(join(root, 'pki'), { recursive: true });
  mkdirSync(join(root, 'cfg'), { recursive: true });
  writeFileSync(join(root, 'cfg', 'kubelet.kubeconfig'), `apiVersion: v1\nclusters:\n- cluster:\n    certificate-authority-data: ${b64(caPems.join(''))}\n    server: https://127.0.0.1:6443\n`);
  writeFileSync(join(root, 'pki', 'kubelet-client-2026.pem'), client, { mode: 0o600 });
  symlinkSync(join(root, 'pki', 'kubelet-client-2026.pem'), join(root, 'pki', 'kubelet-client-current.pem'));
  writeFileSync(join(root, 'pki', 'kubelet-server-current.pem'), serving, { mode: 0o600 }); // a regular file: renamed, never deleted
  return kubeletTrustFacts(localReader(root), plan, CTX);
}

describe('kubelet during a kubernetes CA rotation', () => {
  it('reads certificate blocks only, decides per stage, and sets aside what the stage needs re-issued', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'kubesmith-krot-')), 'pki');
    await generatePki(INV, dir, { sources: src(0, 0) });
    const oldCa = loadPkiState(dir).pairs.get('kubernetes-ca')!;
    const plan = async (min: number) => ({ inventory: INV, pki: (await generatePki(INV, dir, { persist: false, sources: src(min, 900) })).bundle });
    const decide = (p: { inventory: Inventory; pki: PkiBundle }, facts: object) => kubeletRotation({ plan: p, facts } as unknown as PhaseInput);
    const oldClient = await kubeletPem({ certPem: oldCa.certPem!, keyPem: oldCa.keyPem! }, 50);

    // Before any rotation: nothing is probed and nothing decided.
    expect(await kubeletTrustFacts(localReader('/nonexistent'), await plan(1), CTX)).toEqual({});

    const s1 = await startCaRotation(INV, dir, 'kubernetes-ca', src(2, 100));
    const p1 = await plan(3);
    const root1 = mkdtempSync(join(tmpdir(), 'kubesmith-kubelet-'));
    const f1 = await kubeletOn(root1, [oldCa.certPem!], oldClient, oldClient, p1);
    expect(f1.kubeletTrust?.clientCert).toMatch(/^-----BEGIN CERTIFICATE-----[\s\S]*-----END CERTIFICATE-----$/);
    expect(JSON.stringify(f1)).not.toContain('PRIVATE KEY'); // the key never leaves the host
    // Stage 1: the kubeconfig trusts the old CA only -> re-bootstrap (client set aside); its serving certificate is fine (old signs).
    const d1 = decide(p1, f1)!;
    expect(d1.setAside).toEqual([kubeletFiles(p1).client]);
    expect(d1.reasons[0]).toContain('kubelet.kubeconfig trusts another set of kubernetes CAs than stage 1 (old + new)');
    // After the re-bootstrap it trusts old + new with a client certificate of the old CA: done.
    expect(decide(p1, { kubeletTrust: { ...f1.kubeletTrust, caData: b64(oldCa.certPem! + s1.rotation.next.pem) } })).toBeUndefined();

    recordRotationApplied(dir, { name: 'kubernetes-ca', stage: 1, nextFingerprint: s1.rotation.next.fingerprint }, new Date(T0.getTime() + 4 * 60_000));
    await continueCaRotation(INV, dir, 'kubernetes-ca', { inventoryFile: INV.source }, src(5, 200));
    const p2 = await plan(6);
    const trust2 = b64(s1.rotation.next.pem + oldCa.certPem!);
    // Stage 2: client and serving certificates of the old CA are both set aside.
    const d2 = decide(p2, { kubeletTrust: { caData: trust2, clientCert: f1.kubeletTrust!.clientCert!, servingCert: f1.kubeletTrust!.clientCert! } })!;
    expect([...d2.setAside].sort()).toEqual([kubeletFiles(p2).client, kubeletFiles(p2).serving].sort());
    const newCa = loadPkiState(dir).pairs.get('kubernetes-ca')!;
    const newClient = (await kubeletPem({ certPem: newCa.certPem!, keyPem: newCa.keyPem! }, 60)).split('-----BEGIN EC PRIVATE KEY-----')[0]!;
    expect(decide(p2, { kubeletTrust: { caData: trust2, clientCert: newClient, servingCert: newClient } })).toBeUndefined();
    // A kubelet that never bootstrapped has nothing to set aside.
    expect(decide(p2, { kubeletTrust: {} })).toBeUndefined();

    // The step: inserted before the kubelet's restart, which becomes unconditional; run for real.
    const steps: Step[] = [{ kind: 'systemd', unit: 'containerd.service', action: 'restart', when: 'changed' }, { kind: 'systemd', unit: 'kubelet.service', action: 'restart', when: 'changed', rolling: true }];
    const out = rebootstrapForRotation(steps, d2);
    expect(out.map((s) => (s.kind === 'exec' ? 'exec' : s.kind === 'systemd' ? `${s.unit}:${s.when}` : s.kind))).toEqual(['containerd.service:changed', 'exec', 'kubelet.service:always']);
    expect(out[2]).toMatchObject({ rolling: true });
    const exec = out[1] as Extract<Step, { kind: 'exec' }>;
    expect(exec.why).toContain('re-bootstraps with the bootstrap token');
    execFileSync(exec.argv[0]!, exec.argv.slice(1).map((a) => a.replace('/var/lib/kubelet/pki', join(root1, 'pki'))));
    expect(existsSync(join(root1, 'pki', 'kubelet-client-current.pem'))).toBe(false);
    expect(readFileSync(join(root1, 'pki', 'kubelet-client-2026.pem'), 'utf8')).toBe(oldClient); // the dated file stays
    expect(lstatSync(join(root1, 'pki', 'kubelet-server-current.pem.before-ca-rotation')).isFile()).toBe(true);
    expect(rebootstrapForRotation(steps, undefined)).toBe(steps);
  }, 120_000);
});
