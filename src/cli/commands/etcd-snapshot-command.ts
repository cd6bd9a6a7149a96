/** The `etcd snapshot` command's options and help; the implementation is in etcd-snapshot.ts. */
import { INVENTORY_OPTION, type Command } from '../command.js';

export const etcdSnapshotCommand: Command = {
  name: 'etcd snapshot',
  summary: 'take a verified etcd snapshot onto this machine, with a tar of the PKI state beside it',
  usage: '-i FILE [--out DIR] [--keep N] [--encrypt-with KEYFILE] [--dry-run] [--verbose]',
  description: [
    'Asks every etcd member for its health, leader and revision, and takes the snapshot on the leader (or, when',
    'the leader cannot be reached, the healthy member at the highest revision) with `etcdctl snapshot save`',
    'into /var/lib/kubesmith/etcd-backup/ on that host. There it is verified (`etcdutl snapshot status`, etcdctl',
    'on etcd 3.5: hash, revision, total keys), then streamed to this machine over the same SSH connection',
    'while the host hashes it (sha256sum), checked against that sha256, and written atomically as',
    '<cluster>-<UTC time>-rev<revision>.db (0600) with <name>.sha256 beside it; the host\'s copy is removed.',
    'The PKI state directory is saved beside it as <name minus .db>-pki.tar (0600). Both hold every secret',
    'of the cluster: they are NOT encrypted unless --encrypt-with names a passphrase file (openssl enc',
    '-aes-256-cbc -pbkdf2; the snapshot itself stays plain, as `etcd restore` needs it). Keeping them safe',
    '(disk encryption, an encrypted off-site copy) is the operator\'s job.',
    '--keep N deletes older snapshot sets of this cluster that kubesmith named itself, keeping the N newest;',
    'no other file is touched. A member that cannot be reached is reported; the snapshot is still taken',
    'from a healthy member. Takes the deploy lock on the members reached.',
  ].join('\n'),
  options: {
    inventory: INVENTORY_OPTION,
    out: { type: 'string', description: 'directory for the snapshots (created 0700)', defaultText: '<state dir>/backups/etcd' },
    keep: { type: 'string', description: 'keep only the N newest snapshot sets of this cluster in the directory' },
    'encrypt-with': { type: 'string', description: 'encrypt the PKI tar with openssl, the passphrase read from this file' },
    'dry-run': { type: 'boolean', description: 'connect and read only: which member would be asked, and every step' },
    verbose: { type: 'boolean', description: 'also print unchanged steps' },
  },
  run: async (ctx) => (await import('./etcd-snapshot.js')).runEtcdSnapshot(ctx),
};
