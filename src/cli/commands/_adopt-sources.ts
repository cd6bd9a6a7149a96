/**
 * `pki adopt --from` values -> local directories and, per inventory host, remote directories.
 * `--from DIR[,DIR...]` reads local directories; `--from HOST:/DIR[,/DIR...]` reads on HOST over SSH
 * (absolute paths after a HOST: entry belong to that host). HOST must be an inventory host name,
 * so a typo never reaches out to an unknown machine.
 */
import { UsageError } from '../../shared/errors.js';

/** Where to read from. */
export interface AdoptSources {
  readonly local: readonly string[];
  /** Inventory host name -> absolute directories on it, in the order given. */
  readonly remote: ReadonlyMap<string, readonly string[]>;
}

const HINT = 'use --from DIR[,DIR...] for local directories and --from HOST:/DIR[,/DIR...] for directories on an inventory host; a local path with ":" in it is written ./NAME';

/** Parses every --from value; throws UsageError naming the entry that is wrong. */
export function parseFromOption(values: readonly string[], hostNames: readonly string[]): AdoptSources {
  if (values.length === 0) throw new UsageError('pki adopt: --from is required', { hint: `e.g. --from master01:/opt/kubernetes/ssl,/opt/etcd/ssl, or --from ./ssl; ${HINT}` });
  const local: string[] = [];
  const remote = new Map<string, string[]>();
  const add = (host: string, dir: string): void => void remote.set(host, [...new Set([...(remote.get(host) ?? []), dir])]);
  for (const value of values) {
    let host: string | undefined;
    for (const raw of value.split(',')) {
      const part = raw.trim();
      if (part === '') throw new UsageError(`pki adopt --from ${value}: an empty entry`, { hint: HINT });
      const m = /^([^/:]+):(.*)$/.exec(part);
      if (m) {
        const [, name = '', dir = ''] = m;
        if (!hostNames.includes(name)) {
          throw new UsageError(`pki adopt --from ${part}: "${name}" is not a host of the inventory`, { hint: `hosts: ${hostNames.join(', ')}; ${HINT}` });
        }
        if (!dir.startsWith('/')) throw new UsageError(`pki adopt --from ${part}: the directory on ${name} must be an absolute path`, { hint: `e.g. ${name}:/opt/kubernetes/ssl` });
        host = name;
        add(name, dir);
      } else if (host !== undefined && part.startsWith('/')) add(host, part);
      else {
        host = undefined;
        local.push(part);
      }
    }
  }
  return { local, remote };
}
