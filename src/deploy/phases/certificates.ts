/** certificates: CA certs, leaf certs and keys (0600) each host's roles need; keys never logged. */
import type { Phase } from '../phase.js';
import { putSteps } from '../steps.js';
import { artifactsOf } from './_artifacts.js';

/** Ships every credential artifact. */
export const certificates: Phase = {
  id: 'certificates',
  title: 'Distribute certificates',
  hosts: (plan) => plan.hosts.filter((h) => artifactsOf(h, 'certificates').length > 0),
  plan: ({ host }) => putSteps(artifactsOf(host, 'certificates')),
};
