#!/usr/bin/env node
// etcd snapshot benchmark, side by side on the same nspawn test hosts with real etcd (needs root):
//   `kubesmith etcd snapshot` (whole process: inventory, plan, SSH, member choice, snapshot save,
//   snapshot status on the host, streamed copy checked by the sha256 the host computes while sending, PKI tar) vs. what an
//   operator types by hand: `ssh leader etcdctl snapshot save` + `scp` + `ssh rm`, on a ~100 MB etcd.
// Usage: sudo node bench/etcd-snapshot/run.mjs     (BENCH_MB=100, BENCH_ROUNDS=3; prints a table and
// writes bench/etcd-snapshot/last-run.txt)
import { launchVitestBench } from '../launch-vitest.mjs';

launchVitestBench('etcd-snapshot');
