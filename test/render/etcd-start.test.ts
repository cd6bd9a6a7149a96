/**
 * The rendered etcd unit, config and certificates start a real etcd (Debian's /usr/bin/etcd) on
 * loopback. Only paths (into a temp dir) and ports (to free loopback ports) are rewritten; then
 * `etcdctl endpoint health` succeeds with the rendered health-check client certificate, and is
 * refused without one (client-cert-auth is really on).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { freePort } from '../support/free-port.js';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { aHost, exampleInventory } from '../support/inventory-builder.js';
import { pkiFixture } from '../support/pki-fixture.js';
import { buildPlan } from '../../src/plan/build-plan.js';
import { shippedTemplates } from './support/templates.js';
import { ETCD_BIN, ETCDCTL_BIN } from '../support/etcd-bin.js';

const version = /etcd Version: (\d+\.\d+\.\d+)/.exec(spawnSync(ETCD_BIN, ['--version'], { encoding: 'utf8' }).stdout ?? '')?.[1];
const hasEtcdctl = spawnSync(ETCDCTL_BIN, ['version'], { encoding: 'utf8' }).status === 0;
const reason = !version ? 'etcd is not installed (Debian: etcd-server)' : !hasEtcdctl ? 'etcdctl is not installed (Debian: etcd-client)' : undefined;
if (reason) console.warn(`skipping the real-etcd test: ${reason}`);

const dir = mkdtempSync(join(tmpdir(), 'kubesmith-etcd-'));
let etcd: ChildProcess | undefined;
let log = '';
afterAll(() => {
  etcd?.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});


describe.skipIf(reason !== undefined)('rendered etcd on a real etcd', () => {
  it('starts from the rendered unit and config and answers endpoint health over mutual TLS', async () => {
    // GIVEN a one-member etcd whose internal IP is loopback, at the installed etcd's version
    const inv = exampleInventory({
      cluster: { ...exampleInventory().cluster, etcdVersion: `v${version}` },
      hosts: [aHost('etcd01', '127.0.0.1', ['etcd']), aHost('master01', '127.0.0.2', ['control-plane'])],
    });
    const plan = buildPlan({ inventory: inv, pki: await pkiFixture(inv), pkiDecisions: [], templates: shippedTemplates() });
    const host = plan.hosts.find((h) => h.host.name === 'etcd01')!;
    const file = (path: string): string => host.artifacts.find((a) => a.path === path)!.content as string;

    // WHEN its files are staged under a temp root with only paths and ports rewritten
    const [client, peer, metrics] = [await freePort(), await freePort(), await freePort()];
    const rewrite = (text: string): string =>
      text
        .replaceAll('/opt/etcd/', `${dir}/opt/etcd/`)
        .replaceAll('/var/lib/etcd', `${dir}/var/lib/etcd`)
        .replaceAll(':2379', `:${client}`)
        .replaceAll(':2380', `:${peer}`)
        .replaceAll(':2381', `:${metrics}`);
    for (const a of host.artifacts.filter((x) => typeof x.content === 'string')) {
      const target = join(dir, a.path);
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, rewrite(a.content as string), { mode: a.mode });
    }
    const unit = file('/etc/systemd/system/etcd.service');
    const exec = /^ExecStart=(\S+) \\\n\s+(--config-file=\S+)$/m.exec(unit);
    expect(exec?.[1]).toBe('/opt/etcd/bin/etcd');
    const configArg = rewrite(exec![2]!);
    const config = parse(rewrite(file('/opt/etcd/cfg/etcd.conf.yml'))) as Record<string, unknown>;
    expect(config['client-transport-security']).toMatchObject({ 'client-cert-auth': true });
    expect(config['peer-transport-security']).toMatchObject({ 'client-cert-auth': true });

    // The bundle's etcd binary is not here; Debian's is the same program at another path.
    etcd = spawn(ETCD_BIN, [configArg], { stdio: ['ignore', 'pipe', 'pipe'] });
    etcd.stdout?.on('data', (d: Buffer) => void (log += d.toString()));
    etcd.stderr?.on('data', (d: Buffer) => void (log += d.toString()));

    // THEN etcdctl with the rendered health-check client certificate reports it healthy
    const ssl = `${dir}/opt/etcd/ssl`;
    const tls = [`--cacert=${ssl}/ca.pem`, `--cert=${ssl}/healthcheck-client.pem`, `--key=${ssl}/healthcheck-client-key.pem`];
    const endpoint = `--endpoints=https://127.0.0.1:${client}`;
    let health = { status: 1 as number | null, out: '' };
    for (let i = 0; i < 60 && health.status !== 0; i++) {
      await new Promise((r) => setTimeout(r, 250));
      const r = spawnSync(ETCDCTL_BIN, [endpoint, ...tls, '--command-timeout=2s', 'endpoint', 'health'], { encoding: 'utf8', env: { ...process.env, ETCDCTL_API: '3' } });
      health = { status: r.status, out: `${r.stdout}${r.stderr}` };
    }
    expect(health.status, `${health.out}\n--- etcd log ---\n${log.slice(-3000)}`).toBe(0);
    expect(health.out).toMatch(/is healthy/);

    // AND a client without a certificate is refused
    const anon = spawnSync(ETCDCTL_BIN, [endpoint, `--cacert=${ssl}/ca.pem`, '--command-timeout=2s', '--dial-timeout=2s', 'endpoint', 'health'], { encoding: 'utf8', env: { ...process.env, ETCDCTL_API: '3' } });
    expect(anon.status).not.toBe(0);
  });
});
