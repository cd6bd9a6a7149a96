/** Reads and validates the inventory file: the one way commands get an Inventory. */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { InventoryError, StateError, UsageError } from '../shared/errors.js';
import type { InventoryIssue } from '../shared/errors.js';
import type { Inventory } from '../inventory/types.js';
import { validateInventory } from '../inventory/validate.js';
import type { ValidationResult } from '../inventory/validate.js';

/**
 * Reads the inventory text from `path`; messages name it as `shown` (what the user typed).
 * A missing file is a usage error (exit 2: -i points nowhere); other read failures are StateErrors.
 */
export async function readInventoryText(path: string, shown: string = path): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new UsageError(`${shown}: inventory file not found`, {
        hint: 'pass the inventory with -i FILE (default inventory.yaml); start from inventory.example.yaml',
        cause: err,
      });
    }
    const what = code === 'EISDIR' ? 'is a directory, not a file' : `cannot be read (${code ?? (err as Error).message})`;
    throw new StateError(`${shown}: inventory ${what}`, { hint: 'pass the inventory file with -i FILE', cause: err });
  }
}

/** Reads and validates without throwing on inventory problems; `file` is resolved against `cwd`. */
export async function checkInventoryFile(file: string, cwd: string = process.cwd()): Promise<ValidationResult> {
  const abs = resolve(cwd, file);
  return validateInventory(await readInventoryText(abs, file), file, abs);
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
