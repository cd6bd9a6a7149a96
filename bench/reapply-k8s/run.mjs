#!/usr/bin/env node
// No-change re-apply of a real 3-host Kubernetes cluster (#14 figure: < 3 s, API phases included),
// side by side with the floor an operator's hand check pays on the same hosts in the same run.
// Usage (root; real binaries, never in the repository):
//   KUBESMITH_E2E_K8S_BUNDLE=/path/kubernetes-server-linux-amd64.tar.gz node bench/reapply-k8s/run.mjs
//   BENCH_REAPPLY_RUNS=5 (default)
import { launchVitestBench } from '../launch-vitest.mjs';

launchVitestBench('reapply-k8s', { KUBESMITH_E2E_K8S_BUNDLE: 'a kubernetes-server-linux-amd64.tar.gz' });
