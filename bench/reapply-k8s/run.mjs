#!/usr/bin/env node
// No-change re-apply of a real 3-host Kubernetes cluster (#14 figure: < 3 s, API phases included),
// side by side with the floor an operator's hand check pays on the same hosts in the same run.
// Usage (root; real binaries, never in the repository):
//   KUBESMITH_E2E_K8S_BUNDLE=/path/kubernetes-server-linux-amd64.tar.gz node bench/reapply-k8s/run.mjs
//   BENCH_REAPPLY_RUNS=5 (default)
import { spawnSync } from 'node:child_process';

const root = new URL('../../', import.meta.url).pathname;
if (process.getuid?.() !== 0 || !process.env.KUBESMITH_E2E_K8S_BUNDLE) {
  console.error('bench/reapply-k8s: needs root (nspawn test hosts) and KUBESMITH_E2E_K8S_BUNDLE (a kubernetes-server-linux-amd64.tar.gz)');
  process.exit(2);
}
spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
const r = spawnSync('npx', ['vitest', 'run', '--config', 'bench/reapply-k8s/vitest.config.ts', '--reporter=dot'], { cwd: root, stdio: 'inherit' });
process.exit(r.status ?? 1);
