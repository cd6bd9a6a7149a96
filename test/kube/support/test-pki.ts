/**
 * Test certificates made by the openssl CLI (a real, independent implementation): a cluster CA, an
 * apiserver serving cert for 127.0.0.1, client certs for several identities, and a foreign CA.
 * Generated for testing purposes only; EC P-256 keys so the whole set takes a few hundred ms.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A certificate and its key, as PEM text and as files. */
export interface TestPair {
  readonly certPem: string;
  readonly keyPem: string;
  readonly certFile: string;
  readonly keyFile: string;
}

/** Everything a fake apiserver and its clients need. */
export interface TestPki {
  readonly dir: string;
  readonly ca: TestPair;
  readonly server: TestPair;
  /** CN=kubernetes-admin, O=kubeadm:cluster-admins */
  readonly admin: TestPair;
  /** CN=viewer, O=viewers: authenticated, no RBAC. */
  readonly viewer: TestPair;
  /** Same admin subject, signed by another CA: the apiserver answers 401. */
  readonly foreignAdmin: TestPair;
}

const openssl = (dir: string, args: readonly string[]): void => {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
};

function ca(dir: string, name: string, cn: string): TestPair {
  openssl(dir, [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', `${name}.key`, '-out', `${name}.crt`, '-subj', `/CN=${cn}`, '-days', '2',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  return pair(dir, name);
}

function leaf(dir: string, name: string, subject: string, signer: TestPair, ext: string): TestPair {
  writeFileSync(join(dir, `${name}.ext`), `${ext}\n`);
  openssl(dir, ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject]);
  openssl(dir, [
    'x509', '-req', '-in', `${name}.csr`, '-CA', signer.certFile, '-CAkey', signer.keyFile, '-set_serial', String(Date.now()),
    '-days', '1', '-out', `${name}.crt`, '-extfile', `${name}.ext`,
  ]);
  return pair(dir, name);
}

function pair(dir: string, name: string): TestPair {
  const certFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.key`);
  return { certFile, keyFile, certPem: readFileSync(certFile, 'utf8'), keyPem: readFileSync(keyFile, 'utf8') };
}

/** Creates the test PKI in a fresh temp directory. */
export function makeTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'kubesmith-fake-apiserver-'));
  const cluster = ca(dir, 'ca', 'kubernetes');
  const client = 'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature';
  return {
    dir,
    ca: cluster,
    server: leaf(dir, 'apiserver', '/CN=kube-apiserver', cluster,
      'extendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\nsubjectAltName=DNS:kubernetes,DNS:localhost,IP:127.0.0.1,IP:127.0.0.2'),
    admin: leaf(dir, 'admin', '/O=kubeadm:cluster-admins/CN=kubernetes-admin', cluster, client),
    viewer: leaf(dir, 'viewer', '/O=viewers/CN=viewer', cluster, client),
    foreignAdmin: leaf(dir, 'foreign-admin', '/O=kubeadm:cluster-admins/CN=kubernetes-admin', ca(dir, 'foreign-ca', 'someone-else'), client),
  };
}
