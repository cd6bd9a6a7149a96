/** The `remove` command's options and help; the implementation is in remove.ts. */
import { DRAIN_OPTIONS } from '../drain-options.js';
import { INVENTORY_OPTION, type Command } from '../command.js';

export const removeCommand: Command = {
  name: 'remove',
  summary: 'take a worker, a control-plane host or an etcd member out of the cluster and off its host (plan with --dry-run first)',
  usage: '-i FILE HOST [--drain-timeout 5m] [--force] [--delete-emptydir-data] [--keep-data] [--dry-run] [--verbose]',
  allowPositionals: true,
  description: [
    'HOST stays in the inventory while it is removed (kubesmith reaches it by it); remove its line afterwards.',
    'Asks every etcd member for its health and leader, and refuses before anything changes when the other',
    'members would not keep a quorum (now, and with one member fewer) or HOST is the only member. Then, on a',
    'healthy remaining member (the leader when it can): `etcdctl move-leader` when HOST leads (no election',
    'under load), `etcdctl member remove`. Only once the remaining members no longer list HOST: etcd is',
    'stopped and disabled there, every file kubesmith put on HOST is removed, and its data directory is',
    'renamed to <dir>.removed (never deleted; --keep-data leaves it in place). A HOST that cannot be reached',
    'is still removed from the cluster; its files stay.',
    'Finally the state forgets HOST: its certificates and keys move to <state>/pki/archive/<time>/ (nothing',
    'is deleted) and it leaves the record of started etcd members (added again later, it joins as new).',
    'A worker node is cordoned and drained first, through a control-plane host, as `kubectl drain',
    "--ignore-daemonsets` does: every pod but DaemonSet and static ones is evicted, so PodDisruptionBudgets",
    'hold (a refused eviction is retried until --drain-timeout, default 5m). A pod no controller manages',
    'or one with an emptyDir volume stops the removal before anything changes, unless --force or',
    '--delete-emptydir-data says to evict it. A drain that times out leaves the node cordoned and nothing',
    'else changed. Then on HOST: kubelet stopped, its containers killed, kube-proxy\'s rules removed, every',
    "kubesmith unit disabled, kubesmith's files removed, /var/lib/kubelet renamed to .removed (--keep-data",
    'leaves it); then the Node object is deleted. A worker that is also an etcd member then leaves etcd.',
    'A control-plane host is drained the same way, then marked down in every other API proxy (the local',
    'proxies, the VIP balancers; a reload) before its apiserver, controller-manager and scheduler stop with',
    'the node services; refused when it is the only one, or with apiServer.ha: none the first one (every',
    'node reaches the API there). Load-balancer hosts are refused for now.',
  ].join('\n'),
  options: {
    inventory: INVENTORY_OPTION,
    'keep-data': { type: 'boolean', description: 'leave the data directories (/var/lib/etcd, /var/lib/kubelet) in place instead of renaming them' },
    ...DRAIN_OPTIONS,
    'dry-run': { type: 'boolean', description: 'connect and read only: the quorum check and every step' },
    verbose: { type: 'boolean', description: 'also print unchanged steps' },
  },
  run: async (ctx) => (await import('./remove.js')).runRemove(ctx),
};
