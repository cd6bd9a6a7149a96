/**
 * The record of a staged CA (or service-account key) rotation, `<state>/pki/rotation.json`. It is
 * what makes the rotation resumable: which identity is being rotated, which stage the state is in,
 * whether `apply` has rolled that stage out to every host, and both the retiring and the new trust
 * root (their public halves, so every later command can compose the trust bundles). During stage 1
 * the new private key lives here too (the file is 0600), until stage 2 makes it the signing key.
 * Pure: parse and serialize; the stage machine is rotation.ts.
 */
import { PkiError } from '../shared/errors.js';
import { IDENTITY_NAMES, type IdentityName } from './identity.js';

/** File name inside the PKI state directory (0600: holds the new key during stage 1). */
export const ROTATION_FILE = 'rotation.json';

/**
 * 1 trust: old + new trusted everywhere, the old one still signs.
 * 2 sign: every leaf re-issued by the new one, both still trusted.
 * 3 drop: the old one removed from every trust bundle.
 */
export type RotationStage = 1 | 2 | 3;

/** One trust root: a CA certificate, or the service-account public key. */
export interface RotationRoot {
  /** sha256 of the certificate DER / of the SPKI DER (identity.ts formats). */
  readonly fingerprint: string;
  /** Certificate PEM (CAs) or PKIX public key PEM (service-account). */
  readonly pem: string;
}

/** When a stage was entered, and when a full apply rolled it out to every host. */
export interface StageMark {
  readonly stage: RotationStage;
  readonly at: string;
  readonly appliedAt?: string;
}

/** The record. Timestamps are ISO 8601 UTC. */
export interface CaRotation {
  readonly name: IdentityName;
  readonly stage: RotationStage;
  readonly startedAt: string;
  /** One mark per stage entered, in order; the last one is the current stage. */
  readonly stages: readonly StageMark[];
  /** The trust root being retired. */
  readonly old: RotationRoot;
  /** The trust root taking over. */
  readonly next: RotationRoot;
  /** Stage 1 only: the new private key (PKCS#1/SEC1 PEM); from stage 2 it is `<ca>.key` / `sa.key`. */
  readonly nextKeyPem?: string;
  /** The backup `pki rotate-ca` wrote before stage 1, relative to the PKI state directory. */
  readonly backup: string;
}

const FP = /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/;
const isName = (n: unknown): n is IdentityName => typeof n === 'string' && (IDENTITY_NAMES as readonly string[]).includes(n);
const isStage = (n: unknown): n is RotationStage => n === 1 || n === 2 || n === 3;
const isRoot = (r: unknown): r is RotationRoot =>
  typeof r === 'object' && r !== null && typeof (r as RotationRoot).fingerprint === 'string' && FP.test((r as RotationRoot).fingerprint) && typeof (r as RotationRoot).pem === 'string';

/** Parses the record; a damaged one is refused, since it is the only account of where the hosts are. */
export function parseRotation(json: string, file: string): CaRotation {
  const bad = (why: string): PkiError =>
    new PkiError(`${file}: not a valid CA rotation record (${why})`, {
      hint: `restore it from pki/backup/ (every \`pki rotate-ca\` step backs up the state first); without it kubesmith cannot tell which trust roots the hosts carry. Nothing was written`,
    });
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (err) {
    throw bad((err as Error).message);
  }
  if (typeof raw !== 'object' || raw === null) throw bad('not an object');
  const r = raw as Record<string, unknown>;
  if (!isName(r.name)) throw bad(`"name" must be one of ${IDENTITY_NAMES.join(', ')}`);
  if (!isStage(r.stage)) throw bad('"stage" must be 1, 2 or 3');
  if (typeof r.startedAt !== 'string' || typeof r.backup !== 'string') throw bad('missing "startedAt" or "backup"');
  if (!isRoot(r.old) || !isRoot(r.next)) throw bad('"old" and "next" need a fingerprint and a pem');
  const stages = Array.isArray(r.stages) ? r.stages : [];
  const marks: StageMark[] = [];
  for (const m of stages as Record<string, unknown>[]) {
    if (typeof m !== 'object' || m === null || !isStage(m.stage) || typeof m.at !== 'string') throw bad('"stages" entries need a stage and "at"');
    marks.push({ stage: m.stage, at: m.at, ...(typeof m.appliedAt === 'string' ? { appliedAt: m.appliedAt } : {}) });
  }
  if (marks.length === 0 || marks[marks.length - 1]?.stage !== r.stage) throw bad(`the last "stages" entry is not stage ${String(r.stage)}`);
  if (r.stage === 1 && typeof r.nextKeyPem !== 'string') throw bad('stage 1 needs "nextKeyPem", the new key');
  return {
    name: r.name,
    stage: r.stage,
    startedAt: r.startedAt,
    stages: marks,
    old: { fingerprint: r.old.fingerprint, pem: r.old.pem },
    next: { fingerprint: r.next.fingerprint, pem: r.next.pem },
    ...(r.stage === 1 && typeof r.nextKeyPem === 'string' ? { nextKeyPem: r.nextKeyPem } : {}),
    backup: r.backup,
  };
}

/** Stable JSON (fixed key order), so an unchanged record is never rewritten. */
export function serializeRotation(r: CaRotation): string {
  const out = {
    name: r.name,
    stage: r.stage,
    startedAt: r.startedAt,
    stages: r.stages.map((m) => ({ stage: m.stage, at: m.at, ...(m.appliedAt ? { appliedAt: m.appliedAt } : {}) })),
    backup: r.backup,
    old: { fingerprint: r.old.fingerprint, pem: r.old.pem },
    next: { fingerprint: r.next.fingerprint, pem: r.next.pem },
    ...(r.nextKeyPem !== undefined ? { nextKeyPem: r.nextKeyPem } : {}),
  };
  return `${JSON.stringify(out, null, 2)}\n`;
}

/** The mark of the current stage. */
export function currentMark(r: CaRotation): StageMark {
  return r.stages[r.stages.length - 1] ?? { stage: r.stage, at: r.startedAt };
}

/** True once apply rolled the current stage out to every host. */
export function stageApplied(r: CaRotation): boolean {
  return currentMark(r).appliedAt !== undefined;
}

/** Stage 3 rolled out: nothing of the old trust root is left on any host. */
export function rotationComplete(r: CaRotation): boolean {
  return r.stage === 3 && stageApplied(r);
}

/** A rotation that still needs an apply or a `--continue`. */
export function rotationActive(r: CaRotation | undefined): r is CaRotation {
  return r !== undefined && !rotationComplete(r);
}
