/**
 * The shell function `reconf ETCDCTL-ARGV...` that runs a membership change (member add, member
 * remove) and asks again while etcd refuses it as transient. With its strict reconfiguration check
 * (on by default) etcd answers "unhealthy cluster" while the member asked has not been connected to
 * every peer for 5 s, and "not enough started members" while too few have started: seen right after
 * a cluster's first start (a member added seconds later) and right after move-leader, both on a
 * busy CI machine. etcd changed nothing then, so asking again once a second, for up to 30 s, is
 * safe; any other error is printed and returned at once (a removal or addition that may have taken
 * effect is never repeated blindly).
 */
export const RECONF_FN = `reconf() {
  n=0
  while ! out=$("$@" 2>&1); do
    case $out in *'unhealthy cluster'*|*'not enough started members'*) ;; *) printf '%s\\n' "$out" >&2; return 1 ;; esac
    n=$((n + 1))
    if [ $n -ge 30 ]; then
      printf '%s\\n%s\\n' "$out" 'etcd refused this membership change for 30 s as not yet safe (a member not connected to every peer, or too few started): check \`kubesmith status\` and \`journalctl -u etcd\` on the members, then run the command again' >&2
      return 1
    fi
    sleep 1
  done
  printf '%s\\n' "$out"
}`;
