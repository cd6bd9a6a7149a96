/** The `etcd restore` command's options and help; the implementation is in etcd-restore.ts. */
import { INVENTORY_OPTION, type Command } from '../command.js';

export const etcdRestoreCommand: Command = {
  name: 'etcd restore',
  summary: 'restore every etcd member from one verified snapshot (apiservers stopped meanwhile)',
  usage: '-i FILE --from SNAPSHOT [--dry-run] [--verbose]',
  description: [
    'Refuses a snapshot without its .sha256 (as `etcd snapshot` writes it) or not matching it, and members whose',
    'etcd certificates in the state do not name their inventory address (a host replaced by one with a new IP:',
    'run `kubesmith pki generate` first). Then, under the deploy lock, on the real hosts: checks etcd and the',
    'snapshot tool run on every member; stops kube-apiserver on the control-plane hosts, then etcd on every',
    'member; on each member puts its etcd certificates and the snapshot (sha256-checked), moves the data',
    'directory aside to <data-dir>.before-restore-<UTC time> (never deleted) and runs `etcdutl snapshot restore`',
    '(etcdctl on etcd 3.5) with the member\'s name and peer URL, the inventory\'s initial cluster and a new cluster',
    'token; writes the etcd config and unit as apply does and starts all members together; checks health, one',
    'leader, every member at the snapshot\'s revision and `member list` equal to the inventory; starts the',
    'apiservers (controller-manager and scheduler restarted); removes the pushed snapshot copies.',
    'Every step converges: an interrupted restore is finished by running the same command again (the new token',
    'and time are kept in <state dir>/etcd-restore.json until it completes). --dry-run prints every step.',
  ].join('\n'),
  options: {
    inventory: INVENTORY_OPTION,
    from: { type: 'string', description: 'the snapshot file (with SNAPSHOT.sha256 beside it)' },
    'dry-run': { type: 'boolean', description: 'connect and read only; print every step' },
    verbose: { type: 'boolean', description: 'also print unchanged steps' },
  },
  run: async (ctx) => (await import('./etcd-restore.js')).runEtcdRestore(ctx),
};
