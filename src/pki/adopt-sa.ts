/**
 * The service-account signing key of an adopted cluster. Every ServiceAccount token the cluster
 * issued is signed with it, so a new one would invalidate them all: adopt takes the key it finds
 * (sa.key/sa.pub as kubeadm names them, service-account-key.pem as the hard way does), or, when
 * there is none, needs the operator to say what the apiserver uses. The classic guides, kubeasz and
 * opsnull sign tokens with the CA key (--service-account-signing-key-file=ca-key.pem, pki-spec.md
 * §1a note 3): `--service-account from-ca` keeps those tokens valid. Pure.
 */
import type { AdoptRow, FoundKey, FoundMaterial, ServiceAccountChoice } from './adopt-types.js';
import { publicPemOf } from './x509-read.js';

const SA_NAME = /(^|\/)(sa\.(key|pub)|sa-(key|pub)\.pem|service-?account[^/]*)$/i;
const isSaFile = (f: string): boolean => SA_NAME.test(f);

/** The outcome: the row, the pair to write (if any), and a problem that stops --write. */
export interface ServiceAccountOutcome {
  readonly row: AdoptRow;
  readonly pair?: { readonly privatePem: string; readonly publicPem: string };
  readonly problem?: string;
  /** The key adopted, so it is not listed as unused. */
  readonly usedKey?: string;
}

const ID = 'service-account';

/**
 * Decides the service-account key. `certKeys` are the SPKIs of keys that belong to a certificate
 * kubesmith adopts (a CA's key is only the SA key when asked: `from-ca`).
 */
export function adoptServiceAccount(found: FoundMaterial, kubernetesCaKey: FoundKey | undefined, choice: ServiceAccountChoice | undefined, cli: string): ServiceAccountOutcome {
  const pubs = new Set(found.publicKeys.map((p) => p.spki));
  const candidates = found.keys.filter((k) => k.files.some(isSaFile) || pubs.has(k.spki));
  if (candidates.length > 1) {
    return {
      row: { id: ID, action: 'missing', reason: `${candidates.length} different service-account keys found` },
      problem: `${candidates.map((k) => k.files.join(', ')).join(' and ')} are different service-account keys; keep the one the apiserver's --service-account-signing-key-file names and remove the other from the --from directories`,
    };
  }
  const [key] = candidates;
  if (key !== undefined) {
    if (choice === 'new') return none(`a key was found (${key.files.join(', ')}) but --service-account new was given: ${newKeyAdvice(cli)}`);
    const pub = found.publicKeys.find((p) => p.spki === key.spki);
    const from = `${key.files.join(', ')}${pub ? ` + ${pub.files.join(', ')}` : ''}`;
    return { row: { id: ID, action: 'adopt', reason: pub ? 'key pair found; existing ServiceAccount tokens stay valid' : 'key found (its public half is derived); existing ServiceAccount tokens stay valid', from }, pair: { privatePem: key.pem, publicPem: pub?.pem ?? publicPemOf(key.pem) }, usedKey: key.spki };
  }
  const orphanPub = found.publicKeys.find((p) => p.files.some(isSaFile));
  if (choice === 'from-ca') {
    if (kubernetesCaKey === undefined) {
      return { row: { id: ID, action: 'missing', reason: '--service-account from-ca, but no kubernetes-ca key was found' }, problem: `--service-account from-ca needs the kubernetes-ca key (ca-key.pem), which was not found under --from; add the directory that holds it` };
    }
    if (orphanPub !== undefined && orphanPub.spki !== kubernetesCaKey.spki) {
      return { row: { id: ID, action: 'missing', reason: `${orphanPub.files.join(', ')} is not the kubernetes-ca key's public half` }, problem: `--service-account from-ca: ${orphanPub.files.join(', ')} is a different public key than the kubernetes-ca key's, so the apiserver does not verify tokens with the CA key; find the private key of ${orphanPub.files[0]}` };
    }
    return {
      row: { id: ID, action: 'adopt', reason: 'the kubernetes-ca key, as the classic guides sign tokens (--service-account from-ca); existing ServiceAccount tokens stay valid', from: kubernetesCaKey.files.join(', ') },
      pair: { privatePem: kubernetesCaKey.pem, publicPem: publicPemOf(kubernetesCaKey.pem) },
      usedKey: kubernetesCaKey.spki,
    };
  }
  if (choice === 'new') return none(newKeyAdvice(cli));
  const found1 = orphanPub ? `only its public half was found (${orphanPub.files.join(', ')}); kubesmith needs the private key to sign tokens` : 'no sa.key, sa.pub or service-account key was found';
  return {
    row: { id: ID, action: 'missing', reason: found1 },
    problem:
      `service-account: ${found1}. Every ServiceAccount token of the cluster is signed with this key, so kubesmith will not pick a new one silently. ` +
      'Look at the apiserver\'s --service-account-signing-key-file (or --service-account-key-file): the classic guides, kubeasz and opsnull use ca-key.pem, then pass --service-account from-ca; ' +
      'if it is another file, add its directory to --from; --service-account new leaves it to `pki generate --new-ca service-account` (every existing token becomes invalid)',
  };
}

function none(reason: string): ServiceAccountOutcome {
  return { row: { id: ID, action: 'missing', reason } };
}

const newKeyAdvice = (cli: string): string => `not adopted; \`kubesmith pki generate ${cli} --new-ca service-account\` issues a new key pair (every existing ServiceAccount token becomes invalid)`;
