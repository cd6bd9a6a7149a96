/** The `pki adopt` command's options and help; the implementation is in pki-adopt.ts. */
import { INVENTORY_OPTION, JSON_OPTION, type Command } from '../command.js';

export const pkiAdoptCommand: Command = {
  name: 'pki adopt',
  summary: 'import the certificates of a cluster installed by hand (report first; --write imports)',
  usage: '-i FILE --from DIR[,DIR...]|HOST:/DIR[,/DIR...] [--write] [--service-account from-ca|new] [--json]',
  description: [
    'Reads the certificate directories of an existing cluster (cfssl names like ca.pem, ca-key.pem,',
    'server.pem, kube-proxy.pem, kubeasz, kubeadm and hard-way layouts alike): local directories, or',
    'HOST:/opt/kubernetes/ssl,/opt/etcd/ssl read read-only over SSH from an inventory host (host keys',
    'checked as apply does). Certificates are identified by content (CA or not, who signed them, subject,',
    'SANs, usages, which key matches), not by file name, and checked against the inventory as',
    '`pki generate` would: keep (adopted as it is), re-issue (kubesmith issues it again with the same CA),',
    'missing. CAs are adopted with their key (kubesmith signs with it) or without (keyless mode).',
    'Files not used are listed with the reason. Prints the report and writes NOTHING unless --write.',
    '--write imports the CAs, the certificates kept, the service-account key and cluster.json into the',
    'empty state directory (0700, keys 0600, one atomic save); it refuses a state that already holds a',
    'PKI (a CA is never replaced: `pki generate --new-ca NAME` does that, with a backup) and any problem:',
    'a key that does not match its certificate, an encrypted or unreadable key, two CAs with one subject.',
    'Then `kubesmith pki generate` issues what is missing or re-issued, signed by the adopted CAs.',
    'When no service-account key is found, say what the apiserver signs tokens with: --service-account',
    'from-ca (its ca-key.pem, as the classic guides do) or new (every existing token becomes invalid).',
  ].join('\n'),
  options: {
    inventory: INVENTORY_OPTION,
    from: { type: 'string', multiple: true, description: 'directories to read: DIR[,DIR...] locally, HOST:/DIR[,/DIR...] on an inventory host' },
    write: { type: 'boolean', description: 'import into the state directory (default: report only, nothing written)' },
    'service-account': { type: 'string', description: 'when no service-account key is found: from-ca (the kubernetes CA key signs tokens) or new' },
    json: JSON_OPTION,
  },
  // Loaded on use: reading over SSH pulls in ssh2.
  run: async (ctx) => (await import('./pki-adopt.js')).runPkiAdopt(ctx),
};
