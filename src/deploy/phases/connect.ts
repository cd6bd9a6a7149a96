/** connect: open one SSH connection per host (the transport verifies host keys and retries). */
import type { Phase } from '../phase.js';

/** Runner builtin and a gate: a host that cannot be reached stops the run before anything is written. */
export const connect: Phase = {
  id: 'connect',
  title: 'Connect',
  always: true,
  gate: true,
  builtin: 'connect',
  hosts: (plan) => plan.hosts,
  plan: () => [],
};
