/**
 * The etcd upgrade rules (pure): etcd upgrades one minor at a time, and each step has a patch floor
 * on the version it leaves (3.5 -> 3.6 needs v3.5.26+, 3.6 -> 3.7 needs v3.6.11+; ETCD_UPGRADE_FLOOR
 * in src/render/flags-by-version.ts, with the upgrade guides' words). validate applies them when the
 * inventory names a 3.5 release; plan and apply apply them between the versions the last full apply
 * recorded and the inventory (plan/upgrade-path.ts).
 */
import { ETCD_UPGRADE_FLOOR } from '../render/flags-by-version.js';
import { compareVersions, parseVersion, type Version } from '../shared/semver.js';

/** Why going from `running` to `target` is not a supported etcd upgrade, or undefined when it is. */
export function etcdUpgradeProblem(running: Version, target: Version): string | undefined {
  if (running.major !== target.major || compareVersions(target, running) <= 0) return undefined;
  if (target.minor > running.minor + 1) {
    return `etcd upgrades one minor at a time: ${running.text} -> ${target.text} skips 3.${running.minor + 1}; upgrade to the newest 3.${running.minor + 1} release first`;
  }
  if (target.minor === running.minor) return undefined;
  const floor = ETCD_UPGRADE_FLOOR[`${target.major}.${target.minor}`];
  const min = floor === undefined ? undefined : parseVersion(floor.from);
  if (floor && min && compareVersions(running, min) < 0) {
    return `etcd ${running.text} -> ${target.text} needs every member at ${floor.from} or later first (${floor.rule.link}); set etcdVersion: ${floor.from}, apply, then set ${target.text}`;
  }
  return undefined;
}

/**
 * The etcd version recorded in a last-render manifest, from the binary identity of an etcd binary
 * ("bundle:v3.5.16/etcd-v3.5.16-linux-amd64.tar.gz#..."). Undefined when the last render hashed its
 * binaries (the identity is then a plain sha256) or has no etcd host.
 */
export function etcdVersionInManifest(hosts: Readonly<Record<string, Readonly<Record<string, string>>>>): Version | undefined {
  for (const files of Object.values(hosts)) {
    for (const [path, key] of Object.entries(files)) {
      const m = path.endsWith('/etcd') ? /(?:^|\/)etcd-(v\d+\.\d+\.\d+)-linux-amd64\.tar\.gz#/.exec(key) : null;
      const v = m?.[1] === undefined ? undefined : parseVersion(m[1]);
      if (v) return v;
    }
  }
  return undefined;
}
