/** The `approve` command's options and help; the implementation is in approve.ts. */
import { INVENTORY_OPTION, JSON_OPTION, SERVER_OPTION, type Command } from '../command.js';

/** The `approve` command. */
export const approveCommand: Command = {
  name: 'approve',
  summary: 'approve kubelet CSRs that match the inventory (client and serving), and only those',
  usage: '-i FILE [--watch] [--timeout 10m] [--deny-unknown] [--server https://HOST:PORT] [--json]',
  description:
    'Lists CertificateSigningRequests and approves those a kubelet of an inventory node sent: signer,\n' +
    'requester, CN/O, SANs (node name and addresses only), usages and duration are all checked.\n' +
    'Others stay pending with the reason shown (denied only with --deny-unknown; other signers are never touched).\n' +
    'Talks to the apiserver through SSH to the first control-plane host, or directly with --server.',
  options: {
    inventory: INVENTORY_OPTION,
    watch: { type: 'boolean', description: 'repeat until every node has an issued client and serving certificate' },
    timeout: { type: 'string', description: 'with --watch: give up after this long', defaultText: '10m' },
    'deny-unknown': { type: 'boolean', description: 'deny kubelet CSRs that fail a check instead of leaving them pending' },
    server: SERVER_OPTION,
    json: JSON_OPTION,
  },
  // Loaded on use: the implementation pulls in ssh2, TLS and the CSR parser, which `--help` and
  // other commands should not pay for at startup.
  run: async (ctx) => (await import('./approve.js')).runApprove(ctx),
};
