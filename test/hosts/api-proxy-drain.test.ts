/**
 * The API proxy drain (phases/_api-proxy-drain.ts) on a real host with real nginx and systemd: the
 * node's rendered local proxy (kubesmith's own config and unit from a real plan) in front of two
 * stand-in apiservers on 127.0.0.2:6443 and 127.0.0.3:6443 (TCP servers that name themselves and
 * echo), a client on the host opening connections through 127.0.0.1:6443.
 * - Marked down: from the moment the step returns, every new connection reaches the other
 *   apiserver (the step waited for nginx's new workers), while a connection opened before the
 *   drain keeps working (a reload closes nothing).
 * - Put back: both answer again and the file is the render byte for byte.
 * - A proxy config without kubesmith's header is left alone, and nginx keeps it; an earlier
 *   kubesmith render is replaced by this run's render with the marks.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootHosts, canBootHosts, type TestHost, type TestHostGroup } from '../support/test-hosts.js';
import { apiProxyDrainSteps } from '../../src/deploy/phases/_api-proxy-drain.js';
import { shQuote } from '../../src/deploy/pre-probe.js';
import type { ClusterPlan } from '../../src/plan/types.js';
import { aHost, exampleInventory } from '../support/inventory-builder.js';
import { realPlan } from '../deploy/phases/_real-plan.js';

const can = canBootHosts();
if (!can.ok) console.log(`test/hosts/api-proxy-drain.test.ts skipped: ${can.reason}`);

/** A stand-in apiserver: says its name on connect, then echoes every line. */
const BACKEND_PY = `
import socketserver, sys
class H(socketserver.StreamRequestHandler):
    def handle(self):
        self.wfile.write((sys.argv[2] + "\\n").encode()); self.wfile.flush()
        for line in self.rfile: self.wfile.write(line); self.wfile.flush()
socketserver.ThreadingTCPServer.allow_reuse_address = True
socketserver.ThreadingTCPServer((sys.argv[1], 6443), H).serve_forever()
`;
/** n connections through the proxy: the name each one reached, one per line. */
const CLIENT_PY = `
import socket, sys
for _ in range(int(sys.argv[1])):
    s = socket.create_connection(("127.0.0.1", 6443), timeout=5); print(s.makefile().readline().strip()); s.close()
`;
/** Holds one connection: prints who answered, then after /run/release echoes a line through it. */
const HOLD_PY = `
import os, socket, time
s = socket.create_connection(("127.0.0.1", 6443), timeout=60); f = s.makefile("rw")
print("first " + f.readline().strip(), flush=True)
while not os.path.exists("/run/release"): time.sleep(0.05)
f.write("still here\\n"); f.flush(); print("echo " + f.readline().strip(), flush=True)
`;

const sha = (s: string): string => createHash('sha256').update(s).digest('hex');
const count = (lines: string): Record<string, number> => lines.split('\n').filter(Boolean).reduce<Record<string, number>>((m, l) => ({ ...m, [l]: (m[l] ?? 0) + 1 }), {});

describe.skipIf(!can.ok)('API proxy drain with real nginx', () => {
  let group: TestHostGroup;
  let host: TestHost;
  let plan: ClusterPlan;
  let conf: { path: string; content: string };

  const sh = async (cmd: string, input?: string): Promise<string> => {
    const r = await host.ssh(cmd, input === undefined ? {} : { input });
    expect(r.code, `${cmd}: ${r.stderr}`).toBe(0);
    return r.stdout;
  };
  /** Runs the drain step exactly as planned for the node (argv through the shell, as the executor does). */
  const drain = async (drained: readonly string[]): Promise<{ code: number; stderr: string; ms: number }> => {
    const step = apiProxyDrainSteps(plan, drained).get('wk')?.[0];
    if (step?.kind !== 'exec') throw new Error('no drain step for wk');
    const t0 = performance.now();
    const r = await host.ssh(step.argv.map(shQuote).join(' '));
    return { code: r.code, stderr: r.stderr, ms: Math.round(performance.now() - t0) };
  };
  const through = async (n: number): Promise<Record<string, number>> => count(await sh(`python3 -c ${shQuote(CLIENT_PY)} ${n}`));

  beforeAll(async () => {
    group = await bootHosts({ count: 1, names: ['wk'] });
    host = group.host('wk');
    const inv = exampleInventory();
    plan = await realPlan({ ...inv, hosts: [aHost('cpa', '127.0.0.2', ['control-plane', 'etcd']), aHost('cpb', '127.0.0.3', ['control-plane']), aHost('wk', host.ip, ['worker'])] });
    const files = plan.hosts.find((h) => h.host.name === 'wk')?.artifacts ?? [];
    const confArt = files.find((a) => a.path.endsWith('/apiserver-proxy.conf'));
    const unitArt = files.find((a) => a.path.endsWith('/kubesmith-apiserver-proxy.service'));
    if (!confArt || !unitArt) throw new Error('the plan has no local proxy for wk');
    conf = { path: confArt.path, content: String(confArt.content) };
    await sh(`mkdir -p ${shQuote(conf.path.replace(/\/[^/]+$/, ''))} && cat > ${shQuote(conf.path)}`, conf.content);
    await sh(`cat > ${shQuote(unitArt.path)}`, String(unitArt.content));
    for (const [ip, name] of [['127.0.0.2', 'cpa'], ['127.0.0.3', 'cpb']]) await sh(`systemd-run --unit=be-${name} python3 -c ${shQuote(BACKEND_PY)} ${ip} ${name}`);
    await sh('systemctl daemon-reload && systemctl start kubesmith-apiserver-proxy.service');
    await sh('for i in $(seq 50); do python3 -c "import socket; socket.create_connection((\'127.0.0.1\', 6443), 1)" 2>/dev/null && exit 0; sleep 0.1; done; exit 1');
  }, 120_000);
  afterAll(async () => {
    await group?.shutdown();
  });

  it('drained: every new connection from the moment the step returns reaches the other apiserver; an open one keeps working', async () => {
    expect(Object.keys(await through(20)).sort()).toEqual(['cpa', 'cpb']);
    // A connection held open to cpb across the drain (retry until the round robin gives cpb).
    let first = '';
    for (let i = 0; i < 10 && first !== 'first cpb'; i++) {
      await sh('rm -f /run/release /run/hold.out; systemctl stop hold 2>/dev/null; systemctl reset-failed hold 2>/dev/null; true');
      await sh(`systemd-run --unit=hold -p StandardOutput=file:/run/hold.out python3 -c ${shQuote(HOLD_PY)}`);
      await sh('for i in $(seq 50); do [ -s /run/hold.out ] && exit 0; sleep 0.1; done; exit 1');
      first = (await sh('head -1 /run/hold.out')).trim();
    }
    expect(first).toBe('first cpb');
    const workersBefore = (await sh('pgrep -P "$(systemctl show -p MainPID --value kubesmith-apiserver-proxy)"')).trim();

    const d = await drain(['cpb']);
    expect(d, d.stderr).toMatchObject({ code: 0 });
    expect(await through(30)).toEqual({ cpa: 30 });
    expect(host.readFile(conf.path)).toContain('server 127.0.0.3:6443 down max_fails=3 fail_timeout=30s;');
    // nginx reloaded (new worker), it did not restart: the old worker stays for the held connection.
    expect(await sh('systemctl show -p NRestarts --value kubesmith-apiserver-proxy')).toBe('0\n');
    expect(await sh(`cat /proc/${workersBefore.split('\n')[0]}/cmdline | tr '\\0' ' '`)).toMatch(/shutting down/);
    await sh('touch /run/release; for i in $(seq 50); do [ "$(wc -l < /run/hold.out)" -ge 2 ] && exit 0; sleep 0.1; done; exit 1');
    expect((await sh('cat /run/hold.out')).split('\n')[1]).toBe('echo still here');
    console.log(`drain of cpb from wk's proxy: ${d.ms} ms including ssh`);
  });

  it('put back: both apiservers answer again and the file is the render byte for byte; a second put-back changes nothing', async () => {
    const d = await drain([]);
    expect(d, d.stderr).toMatchObject({ code: 0 });
    expect(host.readFile(conf.path)).toBe(conf.content);
    expect(Object.keys(await through(20)).sort()).toEqual(['cpa', 'cpb']);
    const pid = await sh('systemctl show -p MainPID --value kubesmith-apiserver-proxy');
    const kids = await sh(`pgrep -P ${pid.trim()} | sort`);
    expect((await drain([])).code).toBe(0);
    expect(await sh(`pgrep -P ${pid.trim()} | sort`)).toBe(kids); // no reload when nothing changes
  });

  it('a proxy config without kubesmith\'s header is left alone, named, and nginx keeps serving it; one with the header is brought back to the render', async () => {
    const foreign = conf.content.replace(/^# Rendered by kubesmith\./, '# hand-written').replace('worker_connections 4096', 'worker_connections 4000');
    expect(foreign).not.toBe(conf.content);
    await sh(`cat > ${shQuote(conf.path)}`, foreign);
    const d = await drain(['cpa']);
    expect(d.code).toBe(3);
    expect(d.stderr).toContain(`${conf.path} is neither the config kubesmith renders (sha256 ${sha(foreign)}, rendered ${sha(conf.content)}) nor one it rendered before (no kubesmith header): left alone`);
    expect(host.readFile(conf.path)).toBe(foreign);
    expect(Object.keys(await through(20)).sort()).toEqual(['cpa', 'cpb']);
    // An earlier kubesmith render (here: another worker_connections) is what the nodes phase would overwrite anyway.
    const earlier = conf.content.replace('worker_connections 4096', 'worker_connections 4000');
    await sh(`cat > ${shQuote(conf.path)}`, earlier);
    expect((await drain(['cpa'])).code).toBe(0);
    expect(host.readFile(conf.path)).toBe(conf.content.replace('127.0.0.2:6443 max_fails', '127.0.0.2:6443 down max_fails'));
    expect((await drain([])).code).toBe(0);
    expect(host.readFile(conf.path)).toBe(conf.content);
    expect(Object.keys(await through(20)).sort()).toEqual(['cpa', 'cpb']);
  });
});
