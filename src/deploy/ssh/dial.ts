/**
 * Opens one authenticated ssh2 client: known_hosts verification (host-key.ts), key file and/or
 * agent auth, a handshake timeout, and errors mapped to SshError codes (E_SSH_CONNECT retryable;
 * E_SSH_AUTH and E_SSH_HOSTKEY not).
 */
import { readFileSync } from 'node:fs';
import type { Duplex } from 'node:stream';
import type { CipherAlgorithm, ConnectConfig, ServerHostKeyAlgorithm } from 'ssh2';
import { Client, parseKey } from './ssh2-lib.js';
import type { HostKeyPolicy } from '../../inventory/types.js';
import { Interrupted, SshError } from '../../shared/errors.js';
import { hostKeyCheck } from './host-key.js';
import type { KnownHostsFiles } from './known-hosts-files.js';
import { expandHome } from './paths.js';

/** Everything needed to reach one SSH server. */
export interface DialTarget {
  readonly label: string;
  readonly address: string;
  readonly port: number;
  readonly user: string;
  readonly identityFile: string | undefined;
  readonly agentSocket: string | undefined;
  readonly knownHostsFile: string;
  readonly hostKeyPolicy: HostKeyPolicy;
  readonly connectTimeoutMs: number;
  /**
   * Keepalive interval; 3 unanswered keepalives drop the connection. An sshd blocked in
   * pam_systemd answers none, so first-session.ts reconnects until its own deadline. @default 10 s
   */
  readonly keepaliveIntervalMs?: number;
  /** An already-open stream to the server (through a bastion). */
  readonly sock?: Duplex;
  /** The run's known_hosts files (read once per run). @default read for this connection */
  readonly knownHosts?: KnownHostsFiles;
}

/**
 * Cipher preference: AES-GCM first (one pass of node's AES-NI crypto per packet, no separate MAC),
 * then AES-CTR; chacha20-poly1305 last because ssh2 runs it in JavaScript when its optional
 * native addon was not built (npm --ignore-scripts), several times slower on binary uploads.
 */
const CIPHERS: CipherAlgorithm[] = ['aes128-gcm@openssh.com', 'aes256-gcm@openssh.com', 'aes128-ctr', 'aes192-ctr', 'aes256-ctr', 'chacha20-poly1305@openssh.com'];

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN']);

/** Connects and authenticates; rejects with SshError (or Interrupted when `signal` aborts). */
export function dial(t: DialTarget, signal?: AbortSignal): Promise<Client> {
  const where = `${t.user}@${t.address}:${t.port}`;
  const privateKey = t.identityFile === undefined ? undefined : readIdentity(t, where);
  if (privateKey === undefined && t.agentSocket === undefined) {
    throw new SshError('E_SSH_AUTH', t.label, `${where}: no key to log in with`, {
      hint: 'set ssh.identityFile in the inventory, or start an ssh-agent (SSH_AUTH_SOCK is not set)',
    });
  }
  if (signal?.aborted) throw new Interrupted(`${t.label}: interrupted before connecting`);
  const check = hostKeyCheck({ label: t.label, address: t.address, port: t.port, knownHostsFile: t.knownHostsFile, policy: t.hostKeyPolicy }, t.knownHosts);
  const config: ConnectConfig = {
    host: t.address,
    port: t.port,
    username: t.user,
    readyTimeout: t.connectTimeoutMs,
    keepaliveInterval: t.keepaliveIntervalMs ?? 10_000,
    keepaliveCountMax: 3,
    algorithms: { serverHostKey: check.algorithms as ServerHostKeyAlgorithm[], cipher: CIPHERS },
    hostVerifier: (key: Buffer) => check.verify(key),
    ...(privateKey ? { privateKey } : {}),
    ...(t.agentSocket ? { agent: t.agentSocket } : {}),
    ...(t.sock ? { sock: t.sock } : {}),
  };
  const tried = [t.identityFile && `identity file ${t.identityFile}`, t.agentSocket && 'ssh-agent'].filter(Boolean).join(' and ');
  return new Promise((resolve, reject) => {
    const client = new Client();
    let settled = false;
    const settle = (err: Error | undefined): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      if (err === undefined) return resolve(client);
      client.end();
      reject(err);
    };
    const onAbort = (): void => settle(new Interrupted(`${t.label}: interrupted while connecting to ${where}`));
    signal?.addEventListener('abort', onAbort, { once: true });
    client.once('ready', () => {
      // Without TCP_NODELAY every channel open waits for the server's delayed ACK (Nagle): 40 ms
      // per command on Linux, measured 48 ms vs 3.5 ms per `true` on a test host. OpenSSH's ssh
      // sets it too. Bulk uploads are unaffected: their packets fill segments anyway.
      client.setNoDelay(true);
      try {
        check.commit();
        settle(undefined);
      } catch (e) {
        settle(new SshError('E_SSH_HOSTKEY', t.label, `could not record the host key in ${t.knownHostsFile}: ${(e as Error).message}`, { cause: e }));
      }
    });
    client.on('error', (err: Error & { level?: string; code?: string }) => {
      const hostKey = check.failure();
      if (hostKey) return settle(hostKey);
      if (err.level === 'client-authentication') {
        return settle(new SshError('E_SSH_AUTH', t.label, `${where}: authentication failed (tried ${tried})`, {
          hint: `check that the public key is in ~${t.user}/.ssh/authorized_keys on ${t.address} and that the user exists`,
          cause: err,
        }));
      }
      if (err.level === 'client-timeout') {
        return settle(new SshError('E_SSH_CONNECT', t.label, `${where}: no SSH handshake within ${t.connectTimeoutMs / 1000} s`, {
          hint: 'check that the host is up and reachable and that sshd listens on that port (ssh.connectTimeoutSeconds)',
          cause: err,
        }));
      }
      const code = err.code ?? '';
      settle(new SshError('E_SSH_CONNECT', t.label, `${where}: cannot connect: ${NETWORK_CODES.has(code) ? code : err.message}`, {
        hint: 'check that the host is up, the address and port are right and sshd runs',
        cause: err,
      }));
    });
    client.once('close', () => settle(new SshError('E_SSH_CONNECT', t.label, `${where}: connection closed during the handshake`)));
    client.connect(config);
  });
}

function readIdentity(t: DialTarget, where: string): Buffer {
  const file = expandHome(t.identityFile ?? '');
  let key: Buffer;
  try {
    key = readFileSync(file);
  } catch (e) {
    throw new SshError('E_SSH_AUTH', t.label, `${where}: cannot read identity file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, {
      hint: 'fix ssh.identityFile in the inventory',
      cause: e,
    });
  }
  const parsed = parseKey(key);
  if (parsed instanceof Error) {
    throw new SshError('E_SSH_AUTH', t.label, `${where}: cannot use identity file ${file}: ${parsed.message}`, {
      hint: /encrypt|passphrase/i.test(parsed.message)
        ? 'kubesmith does not prompt for passphrases: load the key into ssh-agent (ssh-add) and leave ssh.identityFile unset'
        : 'point ssh.identityFile at an OpenSSH or PEM private key',
    });
  }
  return key;
}
