#!/usr/bin/env node
// Deploy benchmark, one run, side by side on the same nspawn test hosts (needs root):
//   kubesmith's executor/transport vs parallel OpenSSH scp vs Ansible's copy module, pushing the
//   same >= 300 MB of binaries to 5 hosts; a no-change re-apply on 5 hosts; kubesmith's peak RSS.
// Usage: sudo node bench/deploy/run.mjs     (prints a table; BENCH_HOSTS=3..5, BENCH_MB=320)
import { launchVitestBench } from '../launch-vitest.mjs';

launchVitestBench('deploy');
