/**
 * What `apply` does for a CA rotation once its run succeeded: a full run (no --limit, --only or
 * --skip; every host succeeded, or runPhases would have thrown) marks the rotation's stage as
 * rolled out in pki/rotation.json, which is what lets `pki rotate-ca --continue` go ahead.
 */
import type { CaRotation } from '../../pki/rotation-record.js';

/** Which selection the run used. */
export interface RunSelection {
  readonly only: readonly string[] | undefined;
  readonly skip: readonly string[] | undefined;
  readonly limit: readonly string[] | undefined;
}

/** Records the stage when the run was a full one; returns the lines to print. */
export async function noteRotationApplied(pkiDir: string, rotation: CaRotation | undefined, sel: RunSelection, inventoryFile: string, at: Date): Promise<readonly string[]> {
  const [{ rotationActive, stageApplied }, { nextStep, stageText }] = await Promise.all([import('../../pki/rotation-record.js'), import('../../pki/rotation.js')]);
  if (!rotationActive(rotation) || stageApplied(rotation)) return [];
  const partial = [sel.only && '--only', sel.skip && '--skip', sel.limit && '--limit'].filter((x): x is string => typeof x === 'string');
  if (partial.length > 0) {
    return [`${rotation.name} rotation: ${stageText(rotation.stage)} is not counted as rolled out: this run used ${partial.join(', ')}; run \`kubesmith apply -i ${inventoryFile}\` on the whole cluster before \`pki rotate-ca ${rotation.name} --continue\``];
  }
  const { recordRotationApplied } = await import('../../state/rotation-flow.js');
  const marked = recordRotationApplied(pkiDir, { name: rotation.name, stage: rotation.stage, nextFingerprint: rotation.next.fingerprint }, at);
  if (!marked) return [`${rotation.name} rotation: the state moved on during this run; run \`kubesmith apply -i ${inventoryFile}\` again`];
  const step = nextStep({ ...rotation, stages: [...rotation.stages.slice(0, -1), { ...rotation.stages[rotation.stages.length - 1]!, appliedAt: at.toISOString() }] }, inventoryFile);
  return [`${rotation.name} rotation: ${stageText(rotation.stage)} rolled out to every host${step ? `; next: \`${step}\`` : '; the rotation is complete'}`];
}
