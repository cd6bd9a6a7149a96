/** Every command, in the order `kubesmith --help` lists them. Add one line per command file. */
import type { Command } from '../command.js';
import { validateCommand } from './validate.js';
import { applyCommand } from './apply.js';
import { pkiGenerateCommand } from './pki-generate.js';
import { pkiCheckCommand } from './pki-check.js';
import { pkiRenewCommand } from './pki-renew.js';
import { pkiPruneCommand } from './pki-prune.js';
import { pkiRotateCaCommand } from './pki-rotate-ca-command.js';
import { pkiAdoptCommand } from './pki-adopt-command.js';
import { approveCommand } from './approve-command.js';
import { statusCommand } from './status-command.js';
import { planCommand } from './plan.js';
import { renderCommand } from './render.js';
import { bundleCheckCommand } from './bundle-check-command.js';
import { etcdSnapshotCommand } from './etcd-snapshot-command.js';
import { etcdRestoreCommand } from './etcd-restore-command.js';
import { removeCommand } from './remove-command.js';

export const COMMANDS: readonly Command[] = [
  validateCommand,
  // Before the pki commands: a bare "check" still suggests `pki check` (the later entry wins).
  bundleCheckCommand,
  applyCommand,
  pkiGenerateCommand,
  pkiCheckCommand,
  pkiRenewCommand,
  pkiPruneCommand,
  pkiRotateCaCommand,
  pkiAdoptCommand,
  approveCommand,
  statusCommand,
  etcdSnapshotCommand,
  etcdRestoreCommand,
  removeCommand,
  planCommand,
  renderCommand,
];
