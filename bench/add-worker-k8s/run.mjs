#!/usr/bin/env node
// Adding one worker to a real 3-host Kubernetes cluster (#10 figure: < 10 s, only the new host's
// files written), side by side with the same add done by hand with perfect knowledge in the same run.
// Usage (root; real binaries, never in the repository):
//   KUBESMITH_E2E_K8S_BUNDLE=/path/kubernetes-server-linux-amd64.tar.gz node bench/add-worker-k8s/run.mjs
//   BENCH_ADD_RUNS=5 (default)
import { launchVitestBench } from '../launch-vitest.mjs';

launchVitestBench('add-worker-k8s', { KUBESMITH_E2E_K8S_BUNDLE: 'a kubernetes-server-linux-amd64.tar.gz' });
