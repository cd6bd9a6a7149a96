/**
 * Boot-group slots, so that several test processes can boot hosts at the same time: slot N owns
 * bridge ksbrN and subnet 10.77.N.0/24. A slot is claimed atomically by mkdir of
 * /run/kubesmith-test/slot-N (owner PID + start time inside); a slot whose owner died is reclaimed
 * (its recorded resources torn down first) by whoever renames it away first.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type GroupRecord, isAlive, processStart, teardownGroupSync } from './test-hosts-teardown.js';

const CLAIMS = '/run/kubesmith-test';
const MAX_SLOT = 200;

interface Owner {
  readonly pid: number;
  readonly start: string | undefined;
}

/** A claimed slot. */
export interface Slot {
  readonly n: number;
  readonly claimDir: string;
}

const ownerFile = (dir: string): string => join(dir, 'owner.json');
const recordFile = (dir: string): string => join(dir, 'record.json');

/** Persists what the group created so far (atomic replace). */
export function saveRecord(slot: Slot, rec: GroupRecord): void {
  const tmp = `${recordFile(slot.claimDir)}.tmp`;
  writeFileSync(tmp, JSON.stringify(rec));
  renameSync(tmp, recordFile(slot.claimDir));
}

/** Claims the lowest free slot, reclaiming dead owners' slots on the way. */
export function claimSlot(): Slot {
  mkdirSync(CLAIMS, { recursive: true });
  for (let n = 1; n <= MAX_SLOT; n++) {
    const dir = join(CLAIMS, `slot-${n}`);
    if (!tryMkdir(dir)) {
      if (!reclaimIfDead(dir) || !tryMkdir(dir)) continue;
    }
    const owner: Owner = { pid: process.pid, start: processStart(process.pid) };
    writeFileSync(ownerFile(dir), JSON.stringify(owner));
    if (existsSync(`/sys/class/net/ksbr${n}`)) {
      // Someone outside this scheme uses the name: leave both alone.
      rmSync(dir, { recursive: true, force: true });
      continue;
    }
    return { n, claimDir: dir };
  }
  throw new Error(`test hosts: all ${MAX_SLOT} slots under ${CLAIMS} are taken by live processes`);
}

/** Releases a claim (after teardown). */
export function releaseSlot(slot: Slot): void {
  rmSync(slot.claimDir, { recursive: true, force: true });
}

function tryMkdir(dir: string): boolean {
  try {
    mkdirSync(dir);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
}

/** Tears down and removes a slot whose owner is gone; false when it is live (or another process won). */
function reclaimIfDead(dir: string): boolean {
  let owner: Owner | undefined;
  try {
    owner = JSON.parse(readFileSync(ownerFile(dir), 'utf8')) as Owner;
  } catch {
    // Claimed but no owner yet: give a concurrent claimer a few seconds to write it.
    try {
      if (Date.now() - statSync(dir).mtimeMs < 10_000) return false;
    } catch {
      return true;
    }
  }
  if (owner && isAlive(owner.pid, owner.start)) return false;
  const grave = `${dir}.reclaim-${process.pid}`;
  try {
    renameSync(dir, grave); // atomic: exactly one reclaimer wins
  } catch {
    return false;
  }
  try {
    const rec = JSON.parse(readFileSync(recordFile(grave), 'utf8')) as GroupRecord;
    teardownGroupSync(rec);
  } catch {
    // No record: nothing was created yet.
  }
  rmSync(grave, { recursive: true, force: true });
  return true;
}
