/**
 * The steps a removal runs on the removed host (etcd-remove.ts, node-remove.ts): kubesmith's own
 * files removed (the plan's artifacts, nothing else), and a data directory moved aside, never
 * deleted (the operator drops it), or left in place with --keep-data.
 */
import type { Step } from '../phase.js';

/** $1 directory: renamed to <dir>.removed (or .removed.N when taken). */
const MOVE_ASIDE_SH = 'd=$1; a="$d.removed"; n=1; while [ -e "$a" ]; do a="$d.removed.$n"; n=$((n + 1)); done; mv "$d" "$a" && echo "moved $d to $a"';

/** rm -f of the files kubesmith put on the host (the plan's artifacts), then a daemon-reload for the units among them. */
export function removeFilesSteps(files: readonly string[], what: string): readonly Step[] {
  return [
    { kind: 'exec', argv: ['rm', '-f', ...files], unless: ['sh', '-c', 'for f in "$@"; do [ -e "$f" ] && exit 1; done; exit 0', 'absent', ...files], why: 'the files kubesmith put on this host', label: `remove ${files.length} files kubesmith put here (${what})` },
    { kind: 'systemd', unit: '', action: 'daemon-reload' },
  ];
}

/** `dir` renamed to <dir>.removed, or a note that --keep-data keeps it. */
export function dataDirStep(dir: string, keepData: boolean, why: string): Step {
  return keepData
    ? { kind: 'note', message: `${dir} kept in place (--keep-data)` }
    : { kind: 'exec', argv: ['sh', '-c', MOVE_ASIDE_SH, 'aside', dir], unless: ['sh', '-c', `! [ -e ${dir} ]`], why, label: `move ${dir} aside to ${dir}.removed` };
}
