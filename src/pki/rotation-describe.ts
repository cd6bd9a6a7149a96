/** How a rotation is shown by `pki rotate-ca`, `pki check` and `plan`. Pure. */
import type { IdentityName } from './identity.js';
import { currentMark, rotationComplete, stageApplied, type CaRotation, type RotationStage } from './rotation-record.js';
import { nextStep, stageText, tokenWaitLeftMs } from './rotation.js';

const iso = (s: string | undefined): string => (s ?? '').replace(/\.\d{3}Z$/, 'Z');

/** Where each identity's trust bundle goes, for the operator (what an apply of stage 1 or 3 changes). */
export const TRUST_USERS: Readonly<Record<IdentityName, string>> = {
  'kubernetes-ca':
    'ca.pem on every node (kube-apiserver and kube-controller-manager --client-ca-file, --root-ca-file, the kubelet clientCAFile), the certificate-authority-data of every kubeconfig (kubelets re-bootstrap to rewrite theirs)',
  'etcd-ca': 'ca.pem on every etcd member (--trusted-ca-file, --peer-trusted-ca-file) and etcd-ca.pem on the control plane (kube-apiserver --etcd-cafile)',
  'front-proxy-ca': 'front-proxy-ca.pem on the control plane (kube-apiserver and kube-controller-manager --requestheader-client-ca-file)',
  'service-account': 'sa.pub on the control plane (kube-apiserver --service-account-key-file accepts tokens signed by either key)',
};

/** What the apply of each stage does, in one line. */
export function stageEffect(name: IdentityName, stage: RotationStage): string {
  if (stage === 1) return `puts old + new into ${TRUST_USERS[name]}; the old one still signs`;
  if (stage === 3) return `removes the old one from ${TRUST_USERS[name]}`;
  if (name === 'service-account') return 'installs the new sa.key: kube-apiserver and kube-controller-manager sign tokens with it; both keys stay accepted';
  if (name === 'kubernetes-ca') return 'installs every certificate re-issued by the new CA and its key (the CSR signer); kubelets re-bootstrap for new client and serving certificates';
  return 'installs every certificate re-issued by the new CA; components restart onto them while both CAs are trusted';
}

/** The lines describing rotation `r` now: stage, rolled out or not, and the next command. */
export function rotationLines(r: CaRotation, now: Date, inventoryFile: string): readonly string[] {
  const mark = currentMark(r);
  if (rotationComplete(r)) return [`${r.name} rotation completed on ${iso(mark.appliedAt)} (started ${iso(r.startedAt)}); only the new one is trusted`];
  const lines = [
    `${r.name} rotation: ${stageText(r.stage)}, entered ${iso(mark.at)}; ${stageApplied(r) ? `rolled out to every host on ${iso(mark.appliedAt)}` : 'not rolled out yet'}`,
    `  old ${r.old.fingerprint}`,
    `  new ${r.next.fingerprint}`,
  ];
  if (!stageApplied(r)) lines.push(`  the next \`kubesmith apply\` (a full run) ${stageEffect(r.name, r.stage)}`);
  const wait = tokenWaitLeftMs(r, now);
  if (wait > 0) lines.push(`  the old key may be dropped from ${iso(new Date(now.getTime() + wait).toISOString())} (kubelets refresh projected tokens within 24 h; --skip-token-wait overrides)`);
  const step = nextStep(r, inventoryFile);
  if (step) lines.push(`  next: \`${step}\``);
  return lines;
}

/** One line for `plan`'s notes, or none without a rotation in progress. */
export function rotationNotice(r: CaRotation | undefined, now: Date, inventoryFile: string): readonly string[] {
  if (r === undefined || rotationComplete(r)) return [];
  const lines = rotationLines(r, now, inventoryFile);
  return [lines.map((l) => l.trim()).join('; ')];
}
