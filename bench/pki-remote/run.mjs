#!/usr/bin/env node
// bench/pki-remote: `kubesmith pki check --remote` over 3 and 500 simulated hosts (fake connections
// answering the certificate probe with real certificate PEMs and kubeconfigs issued by kubesmith's own
// CA, as `apply` would have installed them, plus kubelet client/serving certificates signed by the
// cluster CA). 5% of the hosts hold a kube-proxy kubeconfig that differs from the state, 2% serve a
// kubelet certificate other than the one on disk, 2 hosts are unreachable. Each case: `pki generate`
// and the fleet are set up once (not timed), then RUNS measured processes (measure.mjs): the check
// itself (inventory load, plan from the state, 500 probes, comparison, --json, --prometheus) and the
// whole process, with its peak RSS and CPU time (rss-probe.mjs). With LATENCY_MS each host also
// waits that long (half to connect, half for the probe), to show the wall time at 64 hosts at once.
// Usage: npm run build && node bench/pki-remote/run.mjs      (RUNS=3, LATENCY_MS=100, KEEP=1 keeps the dirs)
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const ROOT = new URL('../../', import.meta.url).pathname;
const MAIN = join(ROOT, 'dist/cli/main.js');
const PROBE = join(ROOT, 'bench/render/rss-probe.mjs');
const MEASURE = new URL('./measure.mjs', import.meta.url).pathname;
const RUNS = Number(process.env.RUNS ?? 3);
const LATENCY = Number(process.env.LATENCY_MS ?? 100);
if (!existsSync(join(ROOT, 'dist/cli/commands/pki-check-remote.js'))) {
  console.error('bench/pki-remote: build first (npm run build)');
  process.exit(2);
}
const dist = (p) => import(join(ROOT, 'dist', p));
const [{ loadInventory }, { inspectPkiState }, { pkiStateDir }, { loadCatalogue }, { loadTemplates }, { bundleFromState }, { buildPlan }, { remoteTargets }, { issueLeaf, loadCa }, { readCert }] = await Promise.all([
  dist('state/load-inventory.js'), dist('state/pki-inspect.js'), dist('state/pki-store.js'), dist('state/load-catalogue.js'), dist('state/load-templates.js'),
  dist('pki/remote/state-bundle.js'), dist('plan/build-plan.js'), dist('pki/remote/targets.js'), dist('pki/issue.js'), dist('pki/x509-read.js'),
]);

const example = readFileSync(join(ROOT, 'inventory.example.yaml'), 'utf8');
const host = (name, ip, roles) => `  - { name: ${name}, address: ${ip}, roles: [${roles.join(', ')}] }`;
const withHosts = (hosts) =>
  example.replace('serviceCIDR: 10.0.0.0/24', 'serviceCIDR: 10.96.0.0/16').replace('podCIDR: 10.244.0.0/16', 'podCIDR: 10.200.0.0/14').replace(/^hosts:\n[\s\S]*?(?=^# concurrency)/m, `hosts:\n${hosts.join('\n')}\n\n`);
const three = withHosts([host('cp1', '10.1.0.1', ['control-plane', 'etcd']), host('wk1', '10.1.0.2', ['worker', 'etcd']), host('wk2', '10.1.0.3', ['worker', 'etcd'])]);
const big = withHosts([
  ...[1, 2, 3].map((i) => host(`master${i}`, `10.1.0.${i}`, ['control-plane', 'etcd'])),
  ...Array.from({ length: 497 }, (_, i) => host(`node${String(i + 1).padStart(3, '0')}`, `10.1.${2 + Math.floor(i / 250)}.${(i % 250) + 1}`, ['worker'])),
]);

/** What every host holds after apply and kubelet bootstrap, with the deliberate differences above. */
async function buildFleet(dir) {
  const { inventory } = await loadInventory(join(dir, 'inventory.yaml'), dir);
  const { state } = inspectPkiState(pkiStateDir(inventory));
  const bundle = bundleFromState(inventory, loadCatalogue(), state);
  const plan = buildPlan({ inventory, pki: bundle, pkiDecisions: [], templates: loadTemplates() });
  const targets = remoteTargets(plan);
  const ca = state.pairs.get('kubernetes-ca');
  const signer = await loadCa(ca.certPem, ca.keyPem, readCert(ca.certPem).notAfter);
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1', privateKeyEncoding: { type: 'sec1', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
  const sources = { clock: { now: () => new Date() }, entropy: { bytes: (n) => new Uint8Array(randomBytes(n)) }, keys: undefined };
  const kubelet = async (h, kind) => {
    const ip = inventory.hosts.find((x) => x.name === h).internalIP;
    const s = { commonName: `system:node:${h}`, organizations: ['system:nodes'], usages: [kind === 'client' ? 'clientAuth' : 'serverAuth'], sans: kind === 'client' ? { dns: [], ips: [] } : { dns: [h], ips: [ip] }, validityDays: 365 };
    const issued = await issueLeaf(s, privateKey, signer, sources);
    return `${issued.certPem}${issued.keyPem}`; // the kubelet keeps cert and key in one file
  };
  const hosts = {};
  const admin = bundle.certs.get('admin').certPem;
  let servingOfPrevious;
  for (const [i, ph] of plan.hosts.entries()) {
    const files = new Map(ph.artifacts.filter((a) => typeof a.content === 'string' && (a.kind === 'cert' || a.kind === 'kubeconfig')).map((a) => [a.path, a.content]));
    const t = targets.find((x) => x.host === ph.host.name);
    const tls = [];
    for (const e of t.expectations) if (e.source === 'kubelet') files.set(e.path, await kubelet(ph.host.name, e.certificate === 'kubelet-client' ? 'client' : 'serving'));
    const kp = [...files.keys()].find((p) => p.endsWith('/kube-proxy.kubeconfig'));
    if (kp && i % 20 === 7) files.set(kp, files.get(kp).replace(/client-certificate-data: \S+/, `client-certificate-data: ${Buffer.from(admin).toString('base64')}`));
    for (const e of t.expectations) {
      if (e.source !== 'served') continue;
      const pem = e.expected?.[0] ?? files.get(e.path);
      const cert = pem.slice(0, pem.indexOf('-----END CERTIFICATE-----') + 26);
      if (e.certificate === 'kubelet-serving' && i % 50 === 3 && servingOfPrevious) tls.push([e.endpoint, servingOfPrevious]);
      else tls.push([e.endpoint, cert]);
      if (e.certificate === 'kubelet-serving') servingOfPrevious = cert;
    }
    hosts[ph.host.name] = { files: [...files], tls };
  }
  const names = plan.hosts.map((h) => h.host.name);
  const down = names.length > 10 ? [names[100], names[400]] : [];
  writeFileSync(join(dir, 'fleet.json'), JSON.stringify({ hosts, down }));
  return { hosts: names.length };
}

function measure(dir, latency) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--import', PROBE, MEASURE, dir, join(dir, 'fleet.json'), String(latency)], { encoding: 'utf8' });
  const processMs = performance.now() - t0;
  if (r.status !== 0) throw new Error(`measure.mjs exited ${r.status}\n${r.stdout}\n${r.stderr}`);
  const m = /KUBESMITH_BENCH maxRSS_kB=(\d+) cpu_us=(\d+)/.exec(r.stderr);
  return { ...JSON.parse(r.stdout.trim().split('\n').pop()), processMs, rssMB: Number(m[1]) / 1024, cpuMs: Number(m[2]) / 1000 };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const results = [];
for (const [name, yaml, latencies] of [['3 hosts', three, [0, LATENCY]], ['500 hosts', big, [0, LATENCY]]]) {
  const dir = mkdtempSync(join(tmpdir(), 'kubesmith-bench-remote-'));
  try {
    writeFileSync(join(dir, 'inventory.yaml'), yaml);
    const g = spawnSync(process.execPath, [MAIN, 'pki', 'generate', '-i', 'inventory.yaml'], { cwd: dir, encoding: 'utf8' });
    if (g.status !== 0) throw new Error(`pki generate failed\n${g.stderr}`);
    const { hosts } = await buildFleet(dir);
    for (const latency of latencies) {
      const runs = Array.from({ length: RUNS }, () => measure(dir, latency));
      results.push({ name, hosts, latency, series: runs[0].expirySeries, code: runs[0].code, checkMs: median(runs.map((r) => r.checkMs)), checkCpuMs: median(runs.map((r) => r.checkCpuMs)), processMs: median(runs.map((r) => r.processMs)), cpuMs: median(runs.map((r) => r.cpuMs)), rssMB: Math.max(...runs.map((r) => r.rssMB)), bytes: runs[0].bytes });
    }
  } finally {
    if (process.env.KEEP) console.error(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}
console.log(`kubesmith pki check --remote over simulated hosts (node ${process.version}), median of ${RUNS} runs`);
console.log(`machine: ${cpus().length} cores, load average ${loadavg()[0].toFixed(1)} (wall time is inflated on a busy machine; CPU time much less)`);
console.log('case        hosts   latency/host   rows   exit   check ms   check cpu ms   process ms   process cpu ms   peak RSS MB   --json bytes');
for (const r of results) {
  console.log(`${r.name.padEnd(10)} ${String(r.hosts).padStart(6)} ${`${r.latency} ms`.padStart(14)} ${String(r.series).padStart(6)} ${String(r.code).padStart(6)} ${r.checkMs.toFixed(0).padStart(10)} ${r.checkCpuMs.toFixed(0).padStart(14)} ${r.processMs.toFixed(0).padStart(12)} ${r.cpuMs.toFixed(0).padStart(16)} ${r.rssMB.toFixed(1).padStart(13)} ${String(r.bytes).padStart(14)}`);
}
const small = results.find((r) => r.hosts === 3 && r.latency === 0);
const large = results.find((r) => r.hosts === 500 && r.latency === 0);
const slow = results.find((r) => r.hosts === 500 && r.latency === LATENCY);
console.log(`500 vs 3 hosts (no latency): check wall ${(large.checkMs / small.checkMs).toFixed(1)}x, check cpu ${(large.checkCpuMs / small.checkCpuMs).toFixed(1)}x; per host ${(large.checkCpuMs / 500).toFixed(1)} ms cpu`);
console.log(`500 hosts: check ${large.checkMs.toFixed(0)} ms wall (${large.checkCpuMs.toFixed(0)} ms cpu), with ${LATENCY} ms per host ${slow.checkMs.toFixed(0)} ms; peak RSS ${Math.max(large.rssMB, slow.rssMB).toFixed(0)} MB (targets: < 5000 ms, < 250 MB)`);
