/**
 * The final verify pass asks its two questions (files in place, units active) in one round trip;
 * a round trip that brings no answer to the file question fails the host with what to do, instead
 * of reporting every planned file as missing.
 */
import { describe, expect, it } from 'vitest';
import { verify } from '../../../src/deploy/phases/verify.js';
import type { HostReader } from '../../../src/deploy/ssh/connection.js';
import { tickingClock } from '../_plan.js';
import { realPlan } from './_real-plan.js';

const ctx = { signal: new AbortController().signal, deadline: Date.now() + 60_000, clock: tickingClock(), dryRun: false };

describe('verify phase', () => {
  it('asks both questions in one round trip and says how many files and units it checked', async () => {
    const plan = await realPlan();
    const host = plan.hosts[0]!;
    const calls: string[] = [];
    const lines = host.artifacts.map((a) => `${a.path}|${a.mode.toString(8)}|${a.owner}|${typeof a.content === 'string' ? Buffer.byteLength(a.content) : a.content.size ?? 0}`);
    const reader: HostReader = {
      name: host.host.name,
      probe: async (argv) => (calls.push(argv.join(' ')), { exitCode: 0, stdout: `@@ 0 0\n${lines.join('\n')}\n@@.\n`, stderr: '' }),
      stat: async () => new Map(),
    };
    const notes = await verify.verify!(reader, { plan, host, facts: {}, activeHosts: [] }, ctx);
    expect(calls).toHaveLength(1);
    expect(notes).toEqual([`${host.artifacts.length} files in place, 0 units active`]);
  });

  it('a round trip without the file answer fails with what to do, not with every file "missing"', async () => {
    const plan = await realPlan();
    const host = plan.hosts[0]!;
    const reader: HostReader = { name: host.host.name, probe: async () => ({ exitCode: 0, stdout: '', stderr: '' }), stat: async () => new Map() };
    await expect(verify.verify!(reader, { plan, host, facts: {}, activeHosts: [] }, ctx)).rejects.toThrow(/no answer from `stat` of the planned files .*run the command again/);
  });
});
