/**
 * The certificate probe of `pki check --remote`, run for real: the exact argv the SSH layer sends,
 * executed by the local sh with the local awk and openssl, against real files (certificates, a
 * kubelet-style cert+key file, a kubeconfig with a client key) and real TLS servers (openssl
 * s_server over TLS 1.2 and 1.3 requiring a client certificate, as etcd does; a refused port; a
 * listener that never speaks TLS). What matters most: no private key byte is ever printed.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseProbe, probeArgv, type ProbeRequest } from '../../src/pki/remote/probe-script.js';
import { freePort } from '../support/free-port.js';

const dir = mkdtempSync(join(tmpdir(), 'kubesmith-probe-'));
const f = (n: string): string => join(dir, n);
const servers: ChildProcess[] = [];
let silent: Server;
const ports = { tls12: 0, tls13: 0, refused: 0, silent: 0 };

function openssl(args: string[]): void {
  const r = spawnSync('openssl', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`);
}

/** Starts openssl s_server on `port` and waits until it accepts. */
async function sServer(port: number, extra: string[]): Promise<void> {
  const child = spawn('openssl', ['s_server', '-accept', `127.0.0.1:${port}`, '-cert', f('server.pem'), '-key', f('server-key.pem'), '-CAfile', f('ca.pem'), '-Verify', '1', ...extra], { stdio: ['pipe', 'ignore', 'ignore'] });
  servers.push(child);
  await new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    const tick = (): void => {
      const s = spawnSync('sh', ['-c', `timeout 2 openssl s_client -connect 127.0.0.1:${port} </dev/null >/dev/null 2>&1; echo`]);
      if (s.status === 0 && child.exitCode === null) setTimeout(resolve, 50);
    };
    setTimeout(tick, 300);
  });
}

function run(req: ProbeRequest, tmp = f('tmp')): { stdout: string; stderr: string; status: number | null } {
  const argv = probeArgv(req);
  const r = spawnSync(argv[0] as string, argv.slice(1), { encoding: 'utf8', cwd: dir, env: { ...process.env, TMPDIR: tmp } });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

const body = (pem: string): string[] => pem.split('\n').filter((l) => l !== '' && !l.startsWith('-----'));

beforeAll(async () => {
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', f('ca-key.pem'), '-out', f('ca.pem'), '-subj', '/CN=probe-ca', '-days', '3']);
  openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', f('server-key.pem'), '-out', f('server.csr'), '-subj', '/CN=probe-server']);
  openssl(['x509', '-req', '-in', f('server.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca-key.pem'), '-set_serial', '7', '-days', '2', '-out', f('server.pem')]);
  const cert = readFileSync(f('server.pem'), 'utf8');
  const key = readFileSync(f('server-key.pem'), 'utf8');
  writeFileSync(f('kubelet-client-current.pem'), `${cert}${key}`); // the kubelet's cert+key file
  writeFileSync(f('cut.pem'), `${cert.split('\n').slice(0, 4).join('\n')}\n${key}`); // a block cut short, then a key
  writeFileSync(f('crlf.pem'), cert.replace(/\n/g, '\r\n'));
  const b64 = (s: string): string => Buffer.from(s).toString('base64');
  writeFileSync(
    f('kube-proxy.kubeconfig'),
    ['clusters:', '- cluster:', `    certificate-authority-data: ${b64(readFileSync(f('ca.pem'), 'utf8'))}`, 'users:', '- user:', `    client-certificate-data: "${b64(cert)}"`, `    client-key-data: ${b64(key)}`, ''].join('\n'),
    { mode: 0o600 },
  );
  mkdirSync(f('a-directory.pem'));
  mkdirSync(f('tmp'));
  for (const k of Object.keys(ports) as (keyof typeof ports)[]) ports[k] = await freePort();
  silent = createServer(() => undefined).listen(ports.silent, '127.0.0.1');
  await Promise.all([sServer(ports.tls12, ['-tls1_2']), sServer(ports.tls13, ['-tls1_3'])]);
}, 60_000);

afterAll(() => {
  for (const s of servers) s.kill();
  silent?.close();
});

describe('certificate probe script (real sh, awk, openssl)', () => {
  it('prints complete certificate blocks only, never a key, from every kind of file', () => {
    const req: ProbeRequest = { certFiles: [f('server.pem'), f('kubelet-client-current.pem'), f('cut.pem'), f('crlf.pem'), f('missing.pem'), f('a-directory.pem')], kubeconfigs: [f('kube-proxy.kubeconfig')], endpoints: [] };
    const r = run(req);
    expect(r.status).toBe(0);
    const key = readFileSync(f('server-key.pem'), 'utf8');
    expect(r.stdout).not.toContain('PRIVATE KEY');
    for (const line of body(key)) expect(r.stdout).not.toContain(line);
    expect(r.stdout).not.toContain(Buffer.from(key).toString('base64').slice(0, 40));
    const obs = parseProbe(r.stdout, req);
    const cert = readFileSync(f('server.pem'), 'utf8');
    expect(obs.files.get(f('server.pem'))).toEqual({ state: 'ok', certs: [cert], fields: new Map() });
    expect(obs.files.get(f('kubelet-client-current.pem'))).toEqual({ state: 'ok', certs: [cert], fields: new Map() });
    expect(obs.files.get(f('cut.pem'))).toEqual({ state: 'ok', certs: [], fields: new Map() });
    expect(obs.files.get(f('crlf.pem'))).toEqual({ state: 'ok', certs: [cert], fields: new Map() });
    expect(obs.files.get(f('missing.pem'))).toEqual({ state: 'missing' });
    expect(obs.files.get(f('a-directory.pem'))).toEqual({ state: 'unreadable', reason: 'not a regular file' });
    const kc = obs.files.get(f('kube-proxy.kubeconfig'));
    expect(kc?.state).toBe('ok');
    const fields = kc?.state === 'ok' ? kc.fields : new Map();
    expect([...fields.keys()].sort()).toEqual(['certificate-authority-data', 'client-certificate-data']);
    expect(Buffer.from(fields.get('client-certificate-data') ?? '', 'base64').toString()).toBe(cert);
  });

  it('reads what each endpoint serves, even when the server then refuses for want of a client certificate', () => {
    const at = (p: number): string => `127.0.0.1:${p}`;
    const req: ProbeRequest = { certFiles: [], kubeconfigs: [], endpoints: [at(ports.tls12), at(ports.tls13), at(ports.refused)] };
    const t0 = Date.now();
    const obs = parseProbe(run(req).stdout, req);
    const cert = readFileSync(f('server.pem'), 'utf8');
    expect(obs.tls.get(at(ports.tls12))).toEqual({ state: 'ok', cert });
    expect(obs.tls.get(at(ports.tls13))).toEqual({ state: 'ok', cert });
    const refused = obs.tls.get(at(ports.refused));
    expect(refused?.state).toBe('failed');
    expect(refused?.state === 'failed' ? refused.reason : '').toBe('connection refused (nothing listens there)');
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(readdirSync(f('tmp'))).toEqual([]); // the handshakes' temp dir is gone
  });

  it('without a writable temp directory, still reads every endpoint (one after the other)', () => {
    const at = (p: number): string => `127.0.0.1:${p}`;
    const req: ProbeRequest = { certFiles: [f('server.pem')], kubeconfigs: [], endpoints: [at(ports.tls12), at(ports.refused)] };
    const obs = parseProbe(run(req, f('no-such-dir')).stdout, req);
    expect(obs.tls.get(at(ports.tls12))).toEqual({ state: 'ok', cert: readFileSync(f('server.pem'), 'utf8') });
    expect(obs.tls.get(at(ports.refused))?.state).toBe('failed');
    expect(obs.files.get(f('server.pem'))?.state).toBe('ok');
  });

  it('gives up on a listener that never answers TLS after its timeout', () => {
    const req: ProbeRequest = { certFiles: [], kubeconfigs: [], endpoints: [`127.0.0.1:${ports.silent}`] };
    const obs = parseProbe(run(req).stdout, req);
    expect(obs.tls.get(`127.0.0.1:${ports.silent}`)).toEqual({ state: 'failed', reason: 'no answer within 5 s' });
  }, 15_000);

  it('passes any byte of a path as data, and refuses relative paths and cut-short output', () => {
    const odd = f("it's $(touch pwned) `x`.pem");
    writeFileSync(odd, readFileSync(f('server.pem')));
    const req: ProbeRequest = { certFiles: [odd], kubeconfigs: [], endpoints: [] };
    expect(parseProbe(run(req).stdout, req).files.get(odd)?.state).toBe('ok');
    expect(existsSync(f('pwned'))).toBe(false);
    expect(() => probeArgv({ certFiles: ['etc/x.pem'], kubeconfigs: [], endpoints: [] })).toThrow(/absolute/);
    expect(() => parseProbe('@f 1 ok\n', req)).toThrow(/cut short/);
  });
});
