/**
 * DIR/PLAN.md of `kubesmith render`: per host the files (size, short sha256, mode, secret, restarts)
 * and units. Depends only on the plan, so two renders of the same state are byte-identical
 * (no timestamps, no comparison with earlier renders).
 */
import type { PlanView } from '../plan/plan-view.js';
import { shortSize } from '../plan/describe.js';

/** The markdown text. */
export function planMarkdown(v: PlanView): string {
  const c = v.cluster;
  const out: string[] = [
    `# kubesmith render: cluster ${c.name}`,
    '',
    `Kubernetes ${c.kubernetesVersion}, etcd ${c.etcdVersion}, API ha ${c.apiHa}, ${v.hosts.length} hosts.`,
    'Each host\'s files are under `<host>/<absolute path>`; cluster objects under `_cluster/`; operator-only kubeconfigs under `_operator/`.',
    'Binaries are not copied here: they stream from the bundle at apply time.',
    '',
    '## Certificates',
    '',
    '| action | certificate | reason |',
    '|---|---|---|',
    ...v.certificates.map((d) => `| ${d.action} | ${d.id} | ${d.reason} |`),
  ];
  for (const h of v.hosts) {
    out.push('', `## ${h.name} (${h.roles.join(', ')})`, '', `Units, in start order: ${h.units.map((u) => `\`${u}\``).join(', ') || 'none'}.`, '');
    out.push('| path | size | sha256 | mode | secret | restarts |', '|---|---|---|---|---|---|');
    for (const f of h.files) {
      const sha = f.sha256 ? `\`${f.sha256.slice(0, 12)}\`` : `bundle \`${f.source ?? ''}\``;
      out.push(`| \`${f.path}\` | ${shortSize(f.size)} | ${sha} | ${f.mode} | ${f.secret ? 'yes' : 'no'} | ${[...f.restarts, ...(f.reloads ?? []).map((u) => `${u} (reload)`)].join(', ')} |`);
    }
  }
  out.push('', '## Cluster objects (applied through the API)', '', '| id | size | secret |', '|---|---|---|');
  out.push(...v.clusterManifests.map((m) => `| \`_cluster/${m.id}.yaml\` | ${shortSize(m.size)} | ${m.secret ? 'yes' : 'no'} |`));
  if (v.notices.length) out.push('', '## Notes', '', ...v.notices.map((n) => `- ${n}`));
  return `${out.join('\n')}\n`;
}
