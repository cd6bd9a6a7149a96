/** One short actionable line, then detail and hint; stacks and causes only with --debug. */
import { InternalError, KubesmithError } from '../shared/errors.js';
import { VERSION } from './version.js';

export function formatError(err: unknown, debug: boolean): string {
  const lines: string[] = [];
  if (err instanceof KubesmithError) {
    lines.push(`error: ${err.message}`);
    for (const d of err.detail) lines.push(`  ${d}`);
    if (err.hint) lines.push(`hint: ${err.hint}`);
    if (err instanceof InternalError) lines.push(`this is a bug in kubesmith ${VERSION}; please report it with the output of --debug`);
  } else {
    const e = err instanceof Error ? err : new Error(String(err));
    lines.push(`error: ${e.message}`);
    lines.push(`this is a bug in kubesmith ${VERSION} (unexpected ${e.name}); please report it with the output of --debug`);
  }
  if (debug) {
    let cur: unknown = err;
    while (cur instanceof Error) {
      lines.push(cur.stack ?? String(cur));
      cur = cur.cause;
      if (cur !== undefined) lines.push('caused by:');
    }
  }
  return `${lines.join('\n')}\n`;
}
