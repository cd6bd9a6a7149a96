/**
 * The shape of a version rule and the one range test every view builder uses. Kept apart from the
 * tables (flags-by-version.ts, containerd-rules.ts) so each table can import it without a cycle.
 */
import type { Version } from '../shared/semver.js';
import { atLeast } from '../shared/semver.js';

/** A version-dependent rule: applies from `from` through `through` (minor versions, inclusive). */
export interface VersionRule {
  readonly component: string;
  readonly what: string;
  readonly from?: { readonly major: number; readonly minor: number };
  readonly through?: { readonly major: number; readonly minor: number };
  readonly why: string;
  readonly link: string;
  /** Flags ("--name") or config lines ("key: value") that may be rendered only where the rule applies. */
  readonly flags?: readonly string[];
  /** Upstream removed `flags` after `through` (not merely: kubesmith stopped rendering them). */
  readonly removed?: true;
}

/** True when `rule` applies to version `v`. */
export function appliesTo(rule: VersionRule, v: Version): boolean {
  if (rule.from && !atLeast(v, rule.from.major, rule.from.minor)) return false;
  if (rule.through && atLeast(v, rule.through.major, rule.through.minor + 1)) return false;
  return true;
}
