/** Local path helpers for SSH settings (identity files, known_hosts). */
import { homedir } from 'node:os';
import { join } from 'node:path';

/** Expands a leading `~` or `~/` to the operator's home directory (as OpenSSH does). */
export function expandHome(p: string, home: string = homedir()): string {
  if (p === '~') return home;
  if (p.startsWith('~/')) return join(home, p.slice(2));
  return p;
}
