/**
 * kubesmith's block in /etc/hosts: every host of the plan, between marker lines, at the end of the
 * file; the host's other lines are left as they are (prepare-hosts writes it, gather-facts reads
 * the file back without it).
 */
import type { ClusterPlan } from '../../plan/types.js';

const BEGIN = '# BEGIN kubesmith hosts';
const END = '# END kubesmith hosts';

/** /etc/hosts with kubesmith's block (re)placed at the end; other lines untouched. */
export function etcHostsWith(current: string, entries: readonly (readonly [string, string])[]): string {
  return withBlock(current, entries.map(([ip, name]) => `${ip} ${name}`).join('\n'));
}

/** `current` with kubesmith's block (its first BEGIN line to its first END line, when END follows) replaced by `block` at the end. */
export function withBlock(current: string, block: string): string {
  const lines = current.split('\n');
  const b = lines.indexOf(BEGIN);
  const e = lines.indexOf(END);
  const kept = b >= 0 && e > b ? [...lines.slice(0, b), ...lines.slice(e + 1)] : lines;
  const body = kept.join('\n').replace(/\n+$/, '');
  return `${body}${body ? '\n' : ''}${BEGIN}\n${block}\n${END}\n`;
}

// A memo of a pure function of the immutable plan (not state: it goes with the plan).
const blocks = new WeakMap<ClusterPlan, string>();

/**
 * The block's lines (every host of the plan), joined once per plan: building them per host made
 * prepare-hosts quadratic in hosts (25 million entries for 5,000 hosts).
 */
export function hostsBlock(plan: ClusterPlan): string {
  let block = blocks.get(plan);
  if (block === undefined) blocks.set(plan, (block = plan.hosts.map((h) => `${h.host.internalIP} ${h.host.name}`).join('\n')));
  return block;
}

/**
 * The shell command gather-facts reads /etc/hosts with: the file without kubesmith's block, cut as
 * withBlock cuts it (two passes of awk over the file), so a converged fleet does not send every
 * host's list of every host back. `file` is a plain path (no quoting needed).
 */
export function readWithoutBlock(file: string): string {
  return `awk -v B='${BEGIN}' -v E='${END}' 'NR == FNR { if ($0 == B && !b) b = FNR; if ($0 == E && !e) e = FNR; next } !(b && e > b && FNR >= b && FNR <= e)' ${file} ${file}`;
}
