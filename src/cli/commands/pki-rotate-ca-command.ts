/** The `pki rotate-ca` command's options and help; the implementation is in pki-rotate-ca.ts. */
import { INVENTORY_OPTION, JSON_OPTION, type Command } from '../command.js';

/** `kubesmith pki rotate-ca NAME [--continue]`: a staged CA rotation, one stage per apply. */
export const pkiRotateCaCommand: Command = {
  name: 'pki rotate-ca',
  summary: 'rotate a CA or the service-account key in three stages, one per apply, without downtime',
  usage: 'NAME -i FILE [--continue] [--skip-token-wait] [--json]',
  description: [
    'NAME: kubernetes-ca, etcd-ca, front-proxy-ca or service-account (or kubernetes, etcd, front-proxy, sa).',
    '  pki rotate-ca NAME            stage 1: a new CA (or key) beside the old one, which still signs; the state',
    '                                is backed up to pki/backup/<UTC time>/ first. apply: every trust bundle',
    '                                (CA files on hosts, kubeconfigs, sa.pub) holds old + new.',
    '  pki rotate-ca NAME --continue stage 2: every certificate the CA signs is re-issued by the new one (the',
    '                                new key signs tokens). apply: rolls them out; kubelets re-bootstrap.',
    '  pki rotate-ca NAME --continue stage 3: apply removes the old one from every bundle.',
    'Each --continue needs the previous stage rolled out by a full apply (no --limit/--only/--skip) that',
    'succeeded on every host. The service-account key waits 24 h after stage 2 reached the hosts before',
    'stage 3 (kubelets refresh projected tokens within 24 h); --skip-token-wait drops it earlier.',
    'The stage is kept in pki/rotation.json: an interrupted step or apply is simply run again.',
    '`pki check` and `plan` show the stage; `pki generate --new-ca NAME` is refused while NAME rotates.',
  ].join('\n'),
  options: {
    inventory: INVENTORY_OPTION,
    continue: { type: 'boolean', description: 'move the rotation in progress to its next stage' },
    'skip-token-wait': { type: 'boolean', description: 'with --continue for service-account: do not wait 24 h before dropping the old key' },
    json: JSON_OPTION,
  },
  allowPositionals: true,
  // Loaded on use, as every pki command's heavy part.
  run: async (ctx) => (await import('./pki-rotate-ca.js')).runRotateCa(ctx),
};
