/** The `status` command's options and help; the implementation is in status.ts. */
import { INVENTORY_OPTION, JSON_OPTION, SERVER_OPTION, type Command } from '../command.js';

export const statusCommand: Command = {
  name: 'status',
  summary: 'show etcd, apiservers, leaders, nodes, pending CSRs and certificate expiry in one view',
  usage: '-i FILE [--server https://HOST:PORT] [--json]',
  description:
    'Read-only. etcd is asked on each etcd host over SSH (etcdctl with the healthcheck-client certificate);\n' +
    'each control-plane apiserver through SSH to that apiserver (127.0.0.1:<port>, its internalIP with\n' +
    'ha: local-proxy), verified against the cluster CA.\n' +
    'With --server the API is reached directly and etcd is not checked. An unreachable host or API is shown\n' +
    'as an error row. On the etcd members, over the same SSH connections, the deployed certificates are compared\n' +
    'with the state as `pki check --remote` does (that command checks every host). Exit 0 when healthy; 1 when\n' +
    'an apiserver, an etcd member, a leader, an inventory node or a certificate is unhealthy, or a certificate on\n' +
    'a host expired (pending CSRs, expiring certificates, places not yet updated and an expired token only warn).',
  options: { inventory: INVENTORY_OPTION, server: SERVER_OPTION, json: JSON_OPTION },
  // Loaded on use: the implementation pulls in ssh2, TLS and the CSR parser, which `--help` and
  // other commands should not pay for at startup.
  run: async (ctx) => (await import('./status.js')).runStatus(ctx),
};
