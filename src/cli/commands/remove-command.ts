/** The `remove` command's options and help; the implementation is in remove.ts. */
import { INVENTORY_OPTION, type Command } from '../command.js';

export const removeCommand: Command = {
  name: 'remove',
  summary: 'take an etcd member out of the cluster and off its host (plan with --dry-run first)',
  usage: '-i FILE HOST [--keep-data] [--dry-run] [--verbose]',
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
    'Hosts with other roles (control-plane, worker, loadbalancer) are refused for now: a node must first be',
    'cordoned and drained, which this command does not do yet.',
  ].join('\n'),
  options: {
    inventory: INVENTORY_OPTION,
    'keep-data': { type: 'boolean', description: "leave the member's data directory (/var/lib/etcd) in place instead of renaming it" },
    'dry-run': { type: 'boolean', description: 'connect and read only: the quorum check and every step' },
    verbose: { type: 'boolean', description: 'also print unchanged steps' },
  },
  run: async (ctx) => (await import('./remove.js')).runRemove(ctx),
};
