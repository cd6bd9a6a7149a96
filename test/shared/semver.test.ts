import { describe, expect, it } from 'vitest';
import { parseVersion } from '../../src/shared/semver.js';

describe('parseVersion', () => {
  it.each(['v1.31.2', 'v1.31.0', 'v3.5.16', 'v0.0.0'])('reads %s', (text) => {
    expect(parseVersion(text)?.text).toBe(text);
  });
  it.each(['v1.31.02', 'v01.31.2', 'v1.031.2', '1.31.2', 'v1.31', 'v1.31.2-rc.0', 'v1.31.2 ', 'v1.31.9999999'])('rejects %s', (text) => {
    // "v1.31.02" would have read as v1.31.2: no release and no tarball is named that way.
    expect(parseVersion(text)).toBeUndefined();
  });
});
