/**
 * The real etcd the tests run. kubesmith supports etcd 3.5 (as an upgrade source) to 3.7; Debian
 * bookworm ships 3.4, so .ci/run unpacks Debian sid's etcd-server/etcd-client (3.5.30, static Go
 * binaries that run here) into /opt/kubesmith-test/etcd with `apt-get download` + `dpkg -x`.
 * Without it (a developer machine), bookworm's /usr/bin/etcd is used where a test can take 3.4.
 */
import { existsSync } from 'node:fs';

const SID = '/opt/kubesmith-test/etcd/usr/bin';
const dir = existsSync(`${SID}/etcd`) ? SID : '/usr/bin';

export const ETCD_BIN = `${dir}/etcd`;
export const ETCDCTL_BIN = `${dir}/etcdctl`;
/** etcdutl ships with 3.5+ packages only; undefined when this machine's etcd has none. */
export const ETCDUTL_BIN: string | undefined = existsSync(`${dir}/etcdutl`) ? `${dir}/etcdutl` : undefined;
