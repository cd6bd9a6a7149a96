// Pushes files to hosts with kubesmith's own executor and SSH transport (dist/), as `apply`'s
// binaries phase does: one connection per host, atomic sha256-checked writes, a shared upload
// queue. Prints {seconds, bytes, cpuSeconds, maxRssMb} as JSON. Input: a JSON file (see deploy.bench-run.ts).
import { setMaxListeners } from 'node:events';
import { readFileSync } from 'node:fs';
import PQueue from 'p-queue';
import { Ssh2Connection } from '../../dist/deploy/ssh/ssh2-connection.js';
import { executeSteps } from '../../dist/deploy/executor.js';
import { newHostRunState } from '../../dist/deploy/dry-run.js';

const cfg = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const ssh = { user: 'root', port: 22, identityFile: cfg.keyFile, agent: false, knownHostsFile: cfg.knownHostsFile, hostKeyPolicy: 'strict', sudo: false, connectTimeoutSeconds: 10 };
const conns = await Promise.all(cfg.hosts.map((h) => Ssh2Connection.connect({ name: h.name, address: h.ip, internalIP: h.ip, roles: [], ssh }, { env: {} })));
const uploads = new PQueue({ concurrency: cfg.uploads });
const clock = { now: () => new Date() };
const signal = new AbortController().signal;
setMaxListeners(0, signal); // every channel of every host listens on it, as in `apply`
const t0 = performance.now();
const cpu0 = process.cpuUsage();
await Promise.all(
  conns.map((conn) => {
    const steps = cfg.files.map((f) => ({
      kind: 'put',
      artifact: { id: `${f.remote}@${conn.name}`, host: conn.name, kind: 'binary', phase: 'bench', path: f.remote, content: { bundleFile: 'bench', member: f.remote, localFile: f.local, size: f.size }, sha256: f.sha256, mode: 0o755, owner: 'root:root', secret: false, restarts: [] },
    }));
    return executeSteps(conn, steps, newHostRunState(), { phase: 'bench', emit: () => undefined, signal, uploads, clock });
  }),
);
const seconds = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
await Promise.all(conns.map((c) => c.close()));
const bytes = cfg.files.reduce((n, f) => n + f.size, 0) * conns.length;
console.log(JSON.stringify({ seconds, bytes, cpuSeconds: (cpu.user + cpu.system) / 1e6, maxRssMb: process.resourceUsage().maxRSS / 1024 }));
process.exit(0);
