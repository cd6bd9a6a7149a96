/**
 * Names of the files `kubesmith etcd snapshot` writes on the operator machine, and which of them
 * `--keep N` may delete. Pure. A snapshot set is `<cluster>-<UTC time>-rev<revision>.db`, its
 * `.db.sha256`, and the PKI state tar `…-pki.tar` (or `-pki.tar.enc` when encrypted). Retention
 * only ever selects names of exactly this shape for this cluster: anything else in the directory
 * (an operator's own file, another cluster's snapshot, a half-written `.part-*`) is never chosen.
 */

/** "20260412T093015Z": sortable, no characters a file system or shell minds. */
export function backupStamp(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
}

/** The snapshot file name. */
export function snapshotFileName(cluster: string, stamp: string, revision: number): string {
  return `${cluster}-${stamp}-rev${revision}.db`;
}

/** The PKI tar that belongs to a snapshot (same base name). */
export function pkiTarName(snapshotName: string, encrypted: boolean): string {
  return `${snapshotName.replace(/\.db$/, '')}-pki.tar${encrypted ? '.enc' : ''}`;
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A snapshot name kubesmith wrote for `cluster`, parsed; undefined for any other name. */
export function parseSnapshotName(cluster: string, name: string): { readonly stamp: string; readonly revision: number } | undefined {
  const m = new RegExp(`^${escape(cluster)}-(\\d{8}T\\d{6}Z)-rev(\\d+)\\.db$`).exec(name);
  return m ? { stamp: m[1] ?? '', revision: Number(m[2]) } : undefined;
}

/**
 * The files `--keep N` deletes: every snapshot set of `cluster` but the N newest (by the time in
 * the name), each with the companions present in `names`. `keep` must be at least 1: the snapshot
 * just taken is never deleted.
 */
export function retentionVictims(names: readonly string[], cluster: string, keep: number): readonly string[] {
  const present = new Set(names);
  const sets = names
    .flatMap((n) => {
      const p = parseSnapshotName(cluster, n);
      return p ? [{ name: n, stamp: p.stamp }] : [];
    })
    .sort((a, b) => (a.stamp === b.stamp ? b.name.localeCompare(a.name) : b.stamp.localeCompare(a.stamp)));
  return sets.slice(Math.max(1, keep)).flatMap((s) => [s.name, `${s.name}.sha256`, pkiTarName(s.name, false), pkiTarName(s.name, true)].filter((f) => present.has(f)));
}
