/**
 * Where each credential goes: the catalogue's installTo/keyInstallTo entries resolved for one host.
 * Owned by the CA work (issue 3); the renderer calls it to build per-host file sets.
 */
import type { Inventory, InventoryHost } from '../inventory/types.js';
import type { PkiBundle, PkiFile } from './types.js';
import { InternalError } from '../shared/errors.js';

/**
 * Credential files for `host`: CA certs, its leaf certs and keys, the service-account keys, the
 * kubernetes CA key on control-plane hosts only. Pure.
 */
export function pkiFilesForHost(_inventory: Inventory, _bundle: PkiBundle, host: InventoryHost): readonly PkiFile[] {
  throw new InternalError(`pkiFilesForHost(${host.name}) is not implemented yet`);
}
