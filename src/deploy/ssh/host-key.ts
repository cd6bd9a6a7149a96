/**
 * Host key verification for one connection, against the operator's known_hosts: `strict` refuses
 * unknown keys, `accept-new` trusts on first use and appends the key once the handshake has
 * proven the host holds it; a changed or revoked key is refused under every policy.
 */
import type { HostKeyPolicy } from '../../inventory/types.js';
import { SshError } from '../../shared/errors.js';
import { blobType, fingerprint, judgeHostKey, knownHostName, knownKeyTypes } from './known-hosts.js';
import { KnownHostsFiles } from './known-hosts-files.js';
import { expandHome } from './paths.js';

/** What to verify against. */
export interface HostKeyTarget {
  readonly label: string; // inventory host name (for messages)
  readonly address: string;
  readonly port: number;
  readonly knownHostsFile: string; // may start with ~
  readonly policy: HostKeyPolicy;
}

/** A verifier for ssh2's hostVerifier plus the algorithm order and the post-handshake commit. */
export interface HostKeyCheck {
  /** serverHostKey algorithms, key types known for this host first (as OpenSSH orders them). */
  readonly algorithms: string[];
  verify(blob: Buffer): boolean;
  /** Why verify() refused, if it did. */
  failure(): SshError | undefined;
  /** After the handshake: appends a key accepted under accept-new. */
  commit(): void;
}

const ALGORITHMS = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];
const ALGS_OF_TYPE = (type: string): string[] => (type === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [type]);

/** Builds the check; reads the known_hosts file now, unless `files` (the run's) read it already. */
export function hostKeyCheck(t: HostKeyTarget, files: KnownHostsFiles = new KnownHostsFiles()): HostKeyCheck {
  const file = expandHome(t.knownHostsFile);
  const name = knownHostName(t.address, t.port);
  const entries = files.index(file);
  const preferred = knownKeyTypes(entries, name).flatMap(ALGS_OF_TYPE);
  const algorithms = [...new Set([...preferred.filter((a) => ALGORITHMS.includes(a)), ...ALGORITHMS])];
  let failure: SshError | undefined;
  let pending: Buffer | undefined;
  const refuse = (msg: string, hint: string): false => {
    failure = new SshError('E_SSH_HOSTKEY', t.label, msg, { hint });
    return false;
  };
  return {
    algorithms,
    failure: () => failure,
    verify(blob) {
      const fp = fingerprint(blob);
      const type = blobType(blob);
      const v = judgeHostKey(entries, name, blob);
      switch (v.kind) {
        case 'known':
          return true;
        case 'revoked':
          return refuse(`host key ${fp} of ${name} is marked @revoked in ${file}:${v.entry.line}`, 'the host presents a revoked key: give it a new host key, then add that');
        case 'changed':
          return refuse(
            `host key for ${name} CHANGED: ${file}:${v.entry.line} has ${fingerprint(v.entry.key)}, the host presented ${fp}`,
            `if the host was reinstalled, verify the new fingerprint on its console, then remove the old entry with \`ssh-keygen -R ${name} -f ${file}\`; otherwise someone may be intercepting the connection`,
          );
        case 'other-type':
          return refuse(
            `host ${name} is known in ${file} (line ${v.entries.map((e) => e.line).join(', ')}) with ${v.entries.map((e) => e.keyType).join(', ')} keys but presented a ${type} key ${fp}`,
            `verify ${fp} on the host, then add it: \`ssh-keyscan -p ${t.port} -t ${type} ${t.address} >> ${file}\``,
          );
        case 'unknown':
          if (t.policy === 'accept-new') {
            pending = blob;
            return true;
          }
          return refuse(
            `host key for ${name} is not in ${file}; verify the fingerprint (${fp}) and add it with \`ssh-keyscan -p ${t.port} -t ${type} ${t.address} >> ${file}\` or set ssh.hostKeyPolicy: accept-new`,
            `compare ${fp} with \`ssh-keygen -lf /etc/ssh/ssh_host_${type.replace(/^ssh-|-sha2-nistp\d+$/g, '')}_key.pub\` on the host's console`,
          );
      }
    },
    commit() {
      if (pending === undefined) return;
      const blob = pending;
      pending = undefined;
      files.append(file, name, blob);
    },
  };
}
