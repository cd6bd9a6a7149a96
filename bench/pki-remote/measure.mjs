// The measured process of bench/pki-remote: `pki check --remote` (dist/cli/commands/pki-check-remote.js,
// the command body the CLI runs) over simulated hosts that answer the certificate probe from a fleet
// file (what each host holds: real certificate PEMs and kubeconfigs issued by kubesmith's CA), with an
// optional simulated network latency per host (half at connect, half for the probe's round trip).
// Prints one JSON line. Usage (from run.mjs): node measure.mjs DIR FLEET.json LATENCY_MS
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';

const ROOT = new URL('../../', import.meta.url).pathname;
const [dir, fleetFile, latencyText] = process.argv.slice(2);
const latency = Number(latencyText ?? 0);
const t0 = performance.now();
const { runRemoteCheck } = await import(join(ROOT, 'dist/cli/commands/pki-check-remote.js'));
const { loadInventory } = await import(join(ROOT, 'dist/state/load-inventory.js'));
const { pemBlocks } = await import(join(ROOT, 'dist/pki/remote/probe-script.js'));
const { kubeconfigFields } = await import(join(ROOT, 'dist/pki/remote/targets.js'));
const fleet = JSON.parse(readFileSync(fleetFile, 'utf8'));
const hosts = new Map(Object.entries(fleet.hosts).map(([h, s]) => [h, { files: new Map(s.files), tls: new Map(s.tls) }]));
const down = new Set(fleet.down);
const sleep = (ms) => (ms > 0 ? new Promise((r) => setTimeout(r, ms)) : Promise.resolve());

/** What the probe script prints on a host holding `s` (as test/support/fake-cert-host.ts). */
function answer(argv, s) {
  const out = [];
  argv.slice(4).forEach((a, idx) => {
    const i = idx + 1;
    if (a.startsWith('c/') || a.startsWith('k/')) {
      const content = s.files.get(a.slice(1));
      if (content === undefined) return void out.push(`@f ${i} missing`);
      out.push(`@f ${i} ok`);
      if (a.startsWith('k/')) for (const [k, v] of kubeconfigFields(content)) out.push(`${k} ${v}`);
      else for (const b of pemBlocks(content)) out.push(b.trimEnd());
    } else {
      const pem = s.tls.get(a.slice(1));
      out.push(pem === undefined ? `@t ${i} failed connect:errno=111 (Connection refused)` : `@t ${i} ok\n${pem.trimEnd()}`);
    }
  });
  out.push('@done');
  return `${out.join('\n')}\n`;
}

const deps = {
  clock: { now: () => new Date() },
  open: async (host) => {
    await sleep(latency / 2);
    if (down.has(host.name)) throw new Error(`${host.name}: cannot connect to ${host.address}:22: connect EHOSTUNREACH (simulated)`);
    const s = hosts.get(host.name);
    return {
      reader: {
        name: host.name,
        probe: async (argv) => (await sleep(latency / 2), { exitCode: 0, stdout: answer(argv, s), stderr: '' }),
        stat: async () => new Map(),
      },
      close: async () => undefined,
    };
  },
};

let bytes = 0;
const sink = () => new Writable({ write(chunk, _e, cb) { bytes += chunk.length; cb(); } });
const ctx = { values: {}, positionals: [], stdout: sink(), stderr: sink(), env: {}, cwd: dir, signal: new AbortController().signal, color: false, isTTY: false, debug: false };
const c1 = process.cpuUsage();
const t1 = performance.now();
const { inventory } = await loadInventory(join(dir, 'inventory.yaml'), dir);
const code = await runRemoteCheck(ctx, { inventory, json: true, prometheus: join(dir, 'metrics.prom') }, deps);
const t2 = performance.now();
const c2 = process.cpuUsage(c1);
const rows = (readFileSync(join(dir, 'metrics.prom'), 'utf8').match(/^kubesmith_certificate_expiry_seconds\{/gm) ?? []).length;
console.log(JSON.stringify({ checkMs: t2 - t1, checkCpuMs: (c2.user + c2.system) / 1000, setupMs: t1 - t0, code, bytes, expirySeries: rows, latency }));
