/**
 * A local SSH server (ssh2's Server) that behaves like OpenSSH with UsePAM + pam_systemd while the
 * user manager starts: authentication succeeds at once, then the connection answers NOTHING (no
 * channel open, no keepalive reply) until a shared "user manager is up" moment, exactly as an
 * sshd blocked in pam_open_session. Every connection made before that moment waits for the same
 * moment (logind's one pending start job), so reconnecting does not restart the wait.
 *
 * Sessions it runs: the login-shell SID header runChannel expects, the deploy lock script
 * ("kubesmith-lock: locked" until stdin ends) and anything else as `exit 0`.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';

/** A running stalling server. */
export interface StallingSshd {
  readonly port: number;
  /** Private key file the server accepts (user root). */
  readonly identityFile: string;
  /** An empty known_hosts to use with hostKeyPolicy accept-new. */
  readonly knownHostsFile: string;
  /** Connections authenticated so far. */
  connections(): number;
  /** Ends the stall now (or never, with Infinity, set at start). */
  release(): void;
  /** Refuses the next `n` session opens. */
  refuseNext(n: number): void;
  close(): Promise<void>;
}

/** Starts a server whose sessions open `stallMs` after the first authentication (Infinity: never). */
export async function startStallingSshd(stallMs: number, opts: { refuseSessions?: number } = {}): Promise<StallingSshd> {
  let refuse = opts.refuseSessions ?? 0; // the first N session opens get OPEN_FAILURE (as at MaxSessions)
  const dir = mkdtempSync(join(tmpdir(), 'ks-stall-sshd-'));
  const hostKey = ssh2.utils.generateKeyPairSync('ed25519');
  const userKey = ssh2.utils.generateKeyPairSync('ed25519');
  const identityFile = join(dir, 'id_ed25519');
  writeFileSync(identityFile, userKey.private, { mode: 0o600 });
  const knownHostsFile = join(dir, 'known_hosts');
  writeFileSync(knownHostsFile, '');
  const allowed = ssh2.utils.parseKey(userKey.public);
  if (allowed instanceof Error) throw allowed;

  let count = 0;
  let releaseAt: number | undefined; // the shared "user@0.service started" moment
  const waiting: (() => void)[] = [];
  const release = (): void => {
    releaseAt = 0;
    for (const w of waiting.splice(0)) w();
  };
  const untilReleased = (): Promise<void> => {
    if (releaseAt === undefined) {
      releaseAt = Date.now() + stallMs;
      if (Number.isFinite(stallMs)) setTimeout(release, stallMs).unref();
    }
    return releaseAt === 0 ? Promise.resolve() : new Promise((r) => waiting.push(r));
  };

  const clients = new Set<{ end(): void }>();
  const server = new ssh2.Server({ hostKeys: [hostKey.private] }, (client) => {
    clients.add(client);
    client.on('close', () => clients.delete(client));
    const sock = (client as unknown as { _sock: Socket })._sock;
    client.on('authentication', (ctx) => {
      const key = ctx.method === 'publickey' ? ctx.key : undefined;
      if (key && key.algo === allowed.type && key.data.equals(allowed.getPublicSSH())) return ctx.accept();
      ctx.reject(['publickey']);
    });
    client.on('ready', () => {
      count += 1;
      // pam_open_session: this connection reads nothing more until the user manager is up.
      sock.pause();
      void untilReleased().then(() => sock.resume());
      client.on('session', (accept, reject) => {
        if (refuse > 0) {
          refuse -= 1;
          return reject();
        }
        const session = accept();
        session.on('exec', (acceptExec, _reject, info) => {
          const ch = acceptExec();
          ch.stderr.write('kubesmith-sid 4242\n');
          if (info.command.includes('kubesmith-lock')) {
            ch.write('kubesmith-lock: locked\n');
            ch.on('data', () => undefined);
            ch.on('end', () => (ch.exit(0), ch.end()));
          } else {
            ch.exit(0);
            ch.end();
          }
        });
      });
    });
    client.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    identityFile,
    knownHostsFile,
    connections: () => count,
    release,
    refuseNext: (n) => void (refuse = n),
    close: () =>
      new Promise((r) => {
        release();
        for (const c of clients) c.end();
        server.close(() => r());
      }),
  };
}
