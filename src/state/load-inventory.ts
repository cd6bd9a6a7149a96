/** Reads and validates the inventory file: the one way commands get an Inventory. */
import { open } from 'node:fs/promises';
import { resolve } from 'node:path';
import { InventoryError } from '../shared/errors.js';
import type { InventoryIssue } from '../shared/errors.js';
import type { Inventory } from '../inventory/types.js';
import { INVENTORY_LIMITS, oversizeIssue } from '../inventory/limits.js';
import { validateInventory } from '../inventory/validate.js';
import { inventoryReadError } from './inventory-read-error.js';
import type { ValidationResult } from '../inventory/validate.js';

/**
 * Reads the inventory text from `path`; messages name it as `shown` (what the user typed).
 * A missing file, a directory or permission denied is a usage error (exit 2) naming the cause.
 */
export async function readInventoryText(path: string, shown: string = path): Promise<string> {
  const read = await readBounded(path, shown);
  if (typeof read === 'string') return read;
  throw new InventoryError(shown, [oversizeIssue(shown, read.bytes, read.atLeast)]);
}

/**
 * The file's text, or its size when over INVENTORY_LIMITS.maxBytes: a regular file is judged by
 * its size before anything is read, and nothing else (a device, a FIFO) is read past the limit,
 * so `-i /dev/zero` or a 50 MB file cannot exhaust the heap.
 */
async function readBounded(path: string, shown: string): Promise<string | { bytes: number; atLeast: boolean }> {
  const max = INVENTORY_LIMITS.maxBytes;
  try {
    const fh = await open(path, 'r');
    try {
      const st = await fh.stat();
      if (st.isFile() && st.size > max) return { bytes: st.size, atLeast: false };
      const buf = Buffer.allocUnsafe(max + 1);
      let len = 0;
      for (let n = -1; n !== 0 && len <= max; len += n) n = (await fh.read(buf, len, max + 1 - len, null)).bytesRead;
      if (len > max) return { bytes: len, atLeast: true };
      return buf.toString('utf8', 0, len);
    } finally {
      await fh.close();
    }
  } catch (err) {
    throw inventoryReadError(err, path, shown);
  }
}

/** Reads and validates without throwing on inventory problems; `file` is resolved against `cwd`. */
export async function checkInventoryFile(file: string, cwd: string = process.cwd()): Promise<ValidationResult> {
  const abs = resolve(cwd, file);
  const read = await readBounded(abs, file);
  if (typeof read !== 'string') return { issues: [oversizeIssue(file, read.bytes, read.atLeast)] };
  return validateInventory(read, file, abs);
}

/** The validated inventory and its warnings; throws InventoryError listing every issue on any error. */
export async function loadInventory(
  file: string,
  cwd: string = process.cwd(),
): Promise<{ inventory: Inventory; warnings: InventoryIssue[] }> {
  const result = await checkInventoryFile(file, cwd);
  if (result.inventory === undefined) throw new InventoryError(file, result.issues);
  return { inventory: result.inventory, warnings: result.issues.filter((i) => i.severity === 'warning') };
}
