/**
 * The staged rotation as a state machine (pure): start (stage 1), continue (1 -> 2 -> 3), and the
 * mark a full apply leaves. One stage per apply, and a stage only advances once apply has rolled
 * the previous one out to every host: a host is then never more than one step away from the rest,
 * and every pair of hosts shares a trust root at every moment of every apply.
 *
 *   stage 1 trust  hosts trust old + new; the old one still signs        (apply: bundles out)
 *   stage 2 sign   every leaf re-issued by the new one; both trusted      (apply: new leaves out)
 *   stage 3 drop   the old one removed from every bundle                  (apply: bundles out)
 *
 * The service-account key follows the same stages: sa.pub carries both public keys (stage 1, 2),
 * sa.key signs with the new one from stage 2, and stage 3 waits until the kubelets have refreshed
 * every projected token (TOKEN_REFRESH_WAIT_MS) unless told not to.
 */
import { PkiError } from '../shared/errors.js';
import { IDENTITY_NAMES, type IdentityName } from './identity.js';
import { currentMark, rotationActive, rotationComplete, stageApplied, type CaRotation, type RotationRoot, type RotationStage } from './rotation-record.js';

/**
 * How long after stage 2 reached every control plane tokens signed by the old service-account key
 * may still be in use: the kubelet refreshes a projected token once it is older than 80% of its
 * lifetime or 24 hours, whichever comes first (ServiceAccountTokenProjection.expirationSeconds,
 * https://kubernetes.io/docs/reference/kubernetes-api/config-and-storage-resources/volume/#projections).
 */
export const TOKEN_REFRESH_WAIT_MS = 24 * 3600 * 1000;

/** `pki rotate-ca` accepts the state's names and the short ones of the command line. */
const ALIASES: Readonly<Record<string, IdentityName>> = { kubernetes: 'kubernetes-ca', etcd: 'etcd-ca', 'front-proxy': 'front-proxy-ca', sa: 'service-account' };

/** "etcd" or "etcd-ca" -> "etcd-ca"; undefined for anything else. */
export function rotationName(arg: string): IdentityName | undefined {
  if ((IDENTITY_NAMES as readonly string[]).includes(arg)) return arg as IdentityName;
  return ALIASES[arg];
}

const STAGE_WORDS: Readonly<Record<RotationStage, string>> = {
  1: 'trust: old and new trusted, the old one signs',
  2: 'sign: everything re-issued by the new one, old and new trusted',
  3: 'drop: only the new one trusted',
};

/** "stage 2 of 3 (sign: ...)". */
export function stageText(stage: RotationStage): string {
  return `stage ${stage} of 3 (${STAGE_WORDS[stage]})`;
}

/** The command that moves rotation `r` forward, or undefined when it is complete. */
export function nextStep(r: CaRotation, inventoryFile: string): string | undefined {
  if (!stageApplied(r)) return `kubesmith apply -i ${inventoryFile}`;
  if (r.stage < 3) return `kubesmith pki rotate-ca ${r.name} --continue -i ${inventoryFile}`;
  return undefined;
}

const FULL_APPLY = 'a full run: no --limit, --only or --skip, and every host succeeded';

/** Refuses a new rotation while one is in progress (one at a time, whatever the name). */
export function checkStart(name: IdentityName, current: CaRotation | undefined, inventoryFile: string): void {
  if (!rotationActive(current)) return;
  const step = nextStep(current, inventoryFile) ?? '';
  const where = `${current.name} is in ${stageText(current.stage)}${stageApplied(current) ? ', rolled out' : ', not rolled out yet'}`;
  throw new PkiError(current.name === name ? `pki rotate-ca ${name}: a rotation of ${name} is already in progress (${where})` : `pki rotate-ca ${name}: the rotation of ${where}; finish it first`, {
    hint: `the way forward is \`${step}\`${stageApplied(current) ? '' : ` (${FULL_APPLY})`}. One rotation at a time keeps every host between two known trust roots; nothing was written`,
  });
}

/** The stage-1 record of a new rotation. */
export function stageOne(name: IdentityName, old: RotationRoot, next: RotationRoot, nextKeyPem: string, backup: string, now: Date): CaRotation {
  const at = now.toISOString();
  return { name, stage: 1, startedAt: at, stages: [{ stage: 1, at }], old, next, nextKeyPem, backup };
}

/** Time left before the old service-account key may be dropped (0 when it may). */
export function tokenWaitLeftMs(r: CaRotation, now: Date): number {
  const applied = r.stages.find((m) => m.stage === 2)?.appliedAt;
  if (r.name !== 'service-account' || r.stage !== 2 || applied === undefined) return 0;
  return Math.max(0, Date.parse(applied) + TOKEN_REFRESH_WAIT_MS - now.getTime());
}

/** Options of `--continue`. */
export interface ContinueOptions {
  readonly inventoryFile: string;
  /** Drop the old service-account key before TOKEN_REFRESH_WAIT_MS has passed. */
  readonly skipTokenWait?: boolean;
}

/** The record after `--continue`: stage 2 or 3. Refuses (PkiError, naming the way forward) otherwise. */
export function advanceRotation(r: CaRotation | undefined, name: IdentityName, now: Date, opts: ContinueOptions): CaRotation {
  const file = opts.inventoryFile;
  if (r === undefined) {
    throw new PkiError(`pki rotate-ca ${name} --continue: no rotation is in progress`, { hint: `start one with \`kubesmith pki rotate-ca ${name} -i ${file}\`; nothing was written` });
  }
  if (r.name !== name) {
    const step = nextStep(r, file);
    throw new PkiError(`pki rotate-ca ${name} --continue: the rotation in progress is of ${r.name}, not ${name}`, {
      hint: `${step ? `continue that one: \`${step}\`` : `it is complete; start a rotation of ${name} with \`kubesmith pki rotate-ca ${name} -i ${file}\``}; nothing was written`,
    });
  }
  if (rotationComplete(r)) {
    throw new PkiError(`pki rotate-ca ${name} --continue: the rotation of ${name} completed on ${currentMark(r).appliedAt}; nothing to continue`, {
      hint: `to rotate again, start a new one with \`kubesmith pki rotate-ca ${name} -i ${file}\`; nothing was written`,
    });
  }
  if (!stageApplied(r)) {
    throw new PkiError(`pki rotate-ca ${name} --continue: ${stageText(r.stage)} is not rolled out to every host yet`, {
      hint: `run \`kubesmith apply -i ${file}\` (${FULL_APPLY}), then continue. Moving on before every host has it would strand a host between trust roots; nothing was written`,
    });
  }
  const wait = tokenWaitLeftMs(r, now);
  if (wait > 0 && opts.skipTokenWait !== true) {
    const until = new Date(now.getTime() + wait).toISOString().replace(/\.\d{3}Z$/, 'Z');
    throw new PkiError(`pki rotate-ca service-account --continue: tokens signed by the old key may still be in use until ${until}`, {
      detail: [
        'the kubelet refreshes a projected ServiceAccount token once it is older than 80% of its lifetime or 24 hours;',
        `stage 2 (the new key signs) reached every host on ${r.stages.find((m) => m.stage === 2)?.appliedAt}, so the last old token is refreshed by ${until}`,
      ],
      hint: `continue after ${until}, or now with --skip-token-wait if no old token is in use (legacy Secret tokens signed by the old key stop working at stage 3: re-create them); nothing was written`,
    });
  }
  const stage = (r.stage + 1) as RotationStage;
  const { nextKeyPem: _key, ...rest } = r; // the new key moves into <ca>.key / sa.key at stage 2
  return { ...rest, stage, stages: [...r.stages, { stage, at: now.toISOString() }] };
}

/** What a successful full apply rolled out: the rotation as it was planned. */
export interface AppliedRotation {
  readonly name: IdentityName;
  readonly stage: RotationStage;
  readonly nextFingerprint: string;
}

/**
 * The record with its current stage marked rolled out at `now`, or undefined when it no longer is
 * the rotation that apply deployed (a `--continue` ran meanwhile) or it was marked already.
 */
export function markApplied(r: CaRotation | undefined, applied: AppliedRotation, now: Date): CaRotation | undefined {
  if (r === undefined || r.name !== applied.name || r.stage !== applied.stage || r.next.fingerprint !== applied.nextFingerprint || stageApplied(r)) return undefined;
  const marks = r.stages.map((m, i) => (i === r.stages.length - 1 ? { ...m, appliedAt: now.toISOString() } : m));
  return { ...r, stages: marks };
}
