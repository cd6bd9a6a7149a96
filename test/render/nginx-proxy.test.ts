/**
 * The rendered API proxies on a real nginx (Debian's, with libnginx-mod-stream): both configs pass
 * `nginx -t`, and the local proxy, started from the rendered unit's command line with only
 * addresses, ports and the pid path rewritten, passes TLS through to an upstream unchanged (the
 * client sees the upstream's own certificate, as kubelets must see kube-apiserver's).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { freePort } from '../support/free-port.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, createServer, type Server } from 'node:tls';
import { afterAll, describe, expect, it } from 'vitest';
import { LB_EXECUTABLES } from '../../src/render/views/apiserver-lb.js';
import { aHost, exampleInventory } from '../support/inventory-builder.js';
import { planFor, today } from './support/render.js';

const reason = !existsSync(LB_EXECUTABLES.nginx)
  ? `${LB_EXECUTABLES.nginx} is not installed (Debian: nginx-light)`
  : !existsSync(LB_EXECUTABLES.nginxStreamModule)
    ? `${LB_EXECUTABLES.nginxStreamModule} is missing (Debian: libnginx-mod-stream)`
    : undefined;
if (reason) console.warn(`skipping the nginx proxy tests: ${reason}`);

const dir = mkdtempSync(join(tmpdir(), 'kubesmith-nginx-'));
const cleanup: (() => void | Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanup) await c();
  rmSync(dir, { recursive: true, force: true });
});


describe.skipIf(reason !== undefined)('rendered nginx API proxies', () => {
  it('pass nginx -t (local proxy and VIP load balancer)', async () => {
    const base = exampleInventory();
    const local = await planFor(base);
    const vip = await planFor(exampleInventory({
      cluster: { ...base.cluster, apiServer: { ...base.cluster.apiServer, ha: 'vip', vip: '192.168.80.88' } },
      hosts: [...base.hosts, aHost('lb01', '192.168.80.13', ['loadbalancer'])],
    }));
    const confs = [
      local.hosts[0]!.artifacts.find((a) => a.path === '/opt/kubernetes/cfg/apiserver-proxy.conf')!,
      vip.hosts.find((h) => h.host.name === 'lb01')!.artifacts.find((a) => a.path === '/etc/kubesmith/lb/nginx.conf')!,
    ];
    for (const [i, a] of confs.entries()) {
      const file = join(dir, `t${i}.conf`);
      writeFileSync(file, (a.content as string).replace(/^pid .*;$/m, `pid ${dir}/t${i}.pid;`));
      const r = spawnSync(LB_EXECUTABLES.nginx, ['-e', 'stderr', '-t', '-c', file], { encoding: 'utf8' });
      expect(r.status, `${a.path}: ${r.stderr}`).toBe(0);
      expect(r.stderr).toMatch(/test is successful/);
    }
  });

  it('passes TLS through to the apiservers: the client sees the upstream certificate', async () => {
    // Real TLS verifies validity dates: certificates issued today, not at the golden clock.
    const plan = await planFor(exampleInventory(), { now: today() });
    const host = plan.hosts[2]!; // node01: a worker
    const conf = host.artifacts.find((a) => a.path === '/opt/kubernetes/cfg/apiserver-proxy.conf')!.content as string;
    const unit = host.artifacts.find((a) => a.path === '/etc/systemd/system/kubesmith-apiserver-proxy.service')!.content as string;
    const [exe, ...args] = /^ExecStart=(.*)$/m.exec(unit)![1]!.split(' ');
    expect(exe).toBe(LB_EXECUTABLES.nginx);

    // An "apiserver" on loopback serving the rendered apiserver certificate.
    const apiserver = plan.pki.certs.get('apiserver')!;
    const upstream: Server = createServer({ cert: apiserver.certPem, key: apiserver.keyPem! }, (s) => s.end('hello from apiserver\n'));
    const upPort = await new Promise<number>((r) => upstream.listen(0, '127.0.0.1', () => r((upstream.address() as { port: number }).port)));
    cleanup.push(() => void upstream.close());

    const listen = await freePort();
    const rewritten = conf
      .replace('listen 127.0.0.1:6443;', `listen 127.0.0.1:${listen};`)
      .replace(/server 192\.168\.80\.\d+:6443/g, `server 127.0.0.1:${upPort}`)
      .replace(/^pid .*;$/m, `pid ${dir}/proxy.pid;`);
    const file = join(dir, 'proxy.conf');
    writeFileSync(file, rewritten);
    const confArg = args.indexOf('-c');
    args[confArg + 1] = file;
    let log = '';
    const nginx: ChildProcess = spawn(exe!, ['-e', 'stderr', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    nginx.stderr?.on('data', (d: Buffer) => void (log += d.toString()));
    // SIGTERM: the master stops its workers too (SIGKILL would orphan them); wait until it is gone.
    cleanup.push(() => new Promise<void>((resolve) => {
      if (nginx.exitCode !== null) return resolve();
      nginx.once('exit', () => resolve());
      nginx.kill('SIGTERM');
    }));

    let reply = '';
    let peerCert = '';
    for (let i = 0; i < 40 && reply === ''; i++) {
      await new Promise((r) => setTimeout(r, 150));
      await new Promise<void>((resolve) => {
        const s = connect({ host: '127.0.0.1', port: listen, ca: plan.pki.certs.get('kubernetes-ca')!.certPem, servername: 'kubernetes' }, () => {
          peerCert = s.getPeerX509Certificate()?.toString() ?? '';
        });
        s.on('data', (d: Buffer) => void (reply += d.toString()));
        s.on('end', () => resolve());
        s.on('error', () => resolve());
      });
    }
    expect(reply, log).toBe('hello from apiserver\n');
    expect(peerCert.trim()).toBe(apiserver.certPem.trim());
  });
});
