/**
 * The drain options `remove` and `apply` (a Kubernetes upgrade's nodes) share: the same names, the
 * same defaults as `kubectl drain --ignore-daemonsets`, the same parsing.
 */
import { parseDuration } from './commands/approve.js';
import { UsageError } from '../shared/errors.js';
import { boolOpt, stringOpt, type CommandContext, type OptionSpec } from './command.js';

export const DRAIN_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  'drain-timeout': { type: 'string', description: 'how long to wait for the evicted pods to go (90s, 10m, 1h)', defaultText: '5m' },
  force: { type: 'boolean', description: 'also evict pods no controller manages (they are gone for good)' },
  'delete-emptydir-data': { type: 'boolean', description: 'also evict pods with emptyDir volumes (their data is lost)' },
};

/** The parsed options; a bad --drain-timeout is a usage error naming the command. */
export function drainOptions(ctx: CommandContext, command: string): { drainTimeoutMs: number; force: boolean; deleteEmptyDirData: boolean } {
  const text = stringOpt(ctx, 'drain-timeout', '5m');
  const ms = parseDuration(text);
  if (ms === undefined || ms === 0) throw new UsageError(`${command}: --drain-timeout ${text} is ${ms === 0 ? 'zero' : 'not a duration'}`, { hint: 'use e.g. 90s, 10m or 1h' });
  return { drainTimeoutMs: ms, force: boolOpt(ctx, 'force'), deleteEmptyDirData: boolOpt(ctx, 'delete-emptydir-data') };
}
