/** connect: open one SSH connection per host (the transport verifies host keys and retries). */
import type { Phase } from '../phase.js';

/** Runner builtin: failures drop only that host from the run. */
export const connect: Phase = {
  id: 'connect',
  title: 'Connect',
  always: true,
  builtin: 'connect',
  hosts: (plan) => plan.hosts,
  plan: () => [],
};
