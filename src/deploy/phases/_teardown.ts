/**
 * The steps a removal runs on the removed host (etcd-remove.ts, node-remove.ts): kubesmith's own
 * files removed (the plan's artifacts, nothing else, and only while unchanged), and a data directory moved aside, never
 * deleted (the operator drops it), or left in place with --keep-data.
 */
import type { Artifact } from '../../plan/types.js';
import type { Step } from '../phase.js';

/**
 * $1 directory, moved aside. Mounts beneath it (a pod's volumes under the kubelet's directory) are
 * unmounted first, deepest first, as `kubeadm reset` does. A directory that is itself a mount point
 * (its own disk, common for /var/lib/etcd and /var/lib/kubelet) cannot be renamed (EBUSY): its
 * contents move into <dir>/kubesmith-removed on the same filesystem instead.
 */
const MOVE_ASIDE_SH = `d=$1
[ -e "$d" ] || exit 0
awk -v p="$d/" 'index($5, p) == 1 { print $5 }' /proc/self/mountinfo | sort -r | while read -r m; do umount "$m" 2>/dev/null || umount -l "$m" || exit 1; done || exit 1
if mountpoint -q "$d"; then
  a="$d/kubesmith-removed"; n=1; while [ -e "$a" ]; do a="$d/kubesmith-removed.$n"; n=$((n + 1)); done
  mkdir -m 0700 "$a" || exit 1
  for e in "$d"/* "$d"/.[!.]* "$d"/..?*; do [ -e "$e" ] || continue; case \${e##*/} in kubesmith-removed*) continue ;; esac; mv "$e" "$a"/ || exit 1; done
  echo "$d is a mount point: moved its contents to $a"
else
  a="$d.removed"; n=1; while [ -e "$a" ]; do a="$d.removed.$n"; n=$((n + 1)); done
  mv "$d" "$a" && echo "moved $d to $a"
fi`;

/** Exit 0 when $1 is already aside: absent, or a mount point holding nothing but what was moved. */
const MOVED_ASIDE_SH = `d=$1
[ -e "$d" ] || exit 0
mountpoint -q "$d" || exit 1
for e in "$d"/* "$d"/.[!.]* "$d"/..?*; do [ -e "$e" ] || continue; case \${e##*/} in kubesmith-removed*) ;; *) exit 1 ;; esac; done
exit 0`;

/**
 * $1 "check" (exit 1 when a file would be removed) or "remove", then pairs PATH SHA256 ("-": not
 * known to the plan: a bundle binary at kubesmith's install path). A file is removed only when it is
 * what kubesmith wrote (same sha256); one that differs is left and named, the operator's to judge.
 */
const REMOVE_OWN_SH = `mode=$1; shift; left=0
while [ $# -ge 2 ]; do
  f=$1 want=$2; shift 2
  [ -e "$f" ] || continue
  if [ "$want" != - ] && [ "$(sha256sum < "$f" | cut -d' ' -f1)" != "$want" ]; then
    [ "$mode" = remove ] && echo "left alone: $f (not what kubesmith wrote)"; left=$((left + 1)); continue
  fi
  [ "$mode" = check ] && exit 1
  rm -f "$f" || exit 1
done
[ "$mode" = remove ] && [ "$left" -gt 0 ] && echo "$left files left alone"
exit 0`;

/** The files kubesmith put on the host (the plan's artifacts) removed when they are still what it wrote, then a daemon-reload for the units among them. */
export function removeFilesSteps(artifacts: readonly Pick<Artifact, 'path' | 'sha256'>[], what: string): readonly Step[] {
  const pairs = artifacts.flatMap((a) => [a.path, a.sha256 ?? '-']);
  return [
    { kind: 'exec', argv: ['sh', '-c', REMOVE_OWN_SH, 'remove-own', 'remove', ...pairs], unless: ['sh', '-c', REMOVE_OWN_SH, 'remove-own', 'check', ...pairs], why: 'the files kubesmith put on this host (a file changed since is left alone)', label: `remove ${artifacts.length} files kubesmith put here (${what}), each only if unchanged` },
    { kind: 'systemd', unit: '', action: 'daemon-reload' },
  ];
}

/** `dir` renamed to <dir>.removed, or a note that --keep-data keeps it. */
export function dataDirStep(dir: string, keepData: boolean, why: string): Step {
  return keepData
    ? { kind: 'note', message: `${dir} kept in place (--keep-data)` }
    : { kind: 'exec', argv: ['sh', '-c', MOVE_ASIDE_SH, 'aside', dir], unless: ['sh', '-c', MOVED_ASIDE_SH, 'aside', dir], why, label: `move ${dir} aside to ${dir}.removed` };
}
