import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The order of the host test files. `npm test` runs the unit project beside the hosts project
 * (test/run.mjs), so for the first ~5 minutes the machine's two cores are shared: the files that
 * prove behaviour go first, and the ones that measure pauses under write load (etcd join, rolling restart,
 * CA rotation) last, when the unit tests are done. A file not listed runs before the measuring ones.
 */
const FIRST = ['apply.test.ts', 'ssh-connection.test.ts', 'etcd-backup-restore.test.ts', 'expired-recovery.test.ts', 'apply-interrupt.test.ts', 'slow-session.test.ts'];
const LAST = ['etcd-add-member.test.ts', 'rolling-restart.test.ts', 'ca-rotation.test.ts'];

function rank(spec: TestSpecification): number {
  const name = spec.moduleId.split('/').pop() ?? '';
  const first = FIRST.indexOf(name);
  if (first >= 0) return first;
  const last = LAST.indexOf(name);
  return last >= 0 ? 1000 + last : 500;
}

export class HostFileOrder extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const hosts = sorted.filter((f) => f.project.name === 'hosts').sort((a, b) => rank(a) - rank(b));
    return [...sorted.filter((f) => f.project.name !== 'hosts'), ...hosts];
  }
}
