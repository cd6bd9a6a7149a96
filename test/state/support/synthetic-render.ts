/** A synthetic render tree for tests of state/render-out: `hosts` hosts x 30 files, content by variant. */
import type { TreeFile } from '../../../src/render/render-tree.js';
import type { RenderTarget } from '../../../src/state/render-out.js';

/** Files of variant `v`; variant "b" drops the last host and changes every file's content. */
export function syntheticTree(v: 'a' | 'b', hosts = 8): TreeFile[] {
  const files: TreeFile[] = [{ rel: 'PLAN.md', content: `# plan ${v}\n`, mode: 0o644 }];
  const n = v === 'a' ? hosts : hosts - 1;
  for (let h = 0; h < n; h++) {
    for (let i = 0; i < 30; i++) {
      const body = `${v}:${h}:${i}\n`.repeat(40 + i);
      files.push({ rel: `host${h}/etc/kubesmith/d${i % 5}/file${i}.conf`, content: body, mode: i % 7 === 0 ? 0o600 : 0o644 });
    }
  }
  return files;
}

/** A render target for cluster "demo" that protects nothing but the home dir and cwd given. */
export function target(cwd: string, home = '/nonexistent-home'): RenderTarget {
  return { cluster: 'demo', guard: { protect: [], cwd, home } };
}
