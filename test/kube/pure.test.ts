/** The pure helpers of src/kube and the approve command: durations, subset comparison, error classes. */
import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../src/cli/commands/approve.js';
import { parseServer } from '../../src/cli/commands/_kube-session.js';
import { isTransientNetworkError, isTransientStatus } from '../../src/kube/api-errors.js';
import { collectionPath, containsDesired, objectPath } from '../../src/kube/apply.js';
import { humanDuration } from '../../src/kube/csr-table.js';
import { ApiError } from '../../src/shared/errors.js';

describe('humanDuration matches kubectl (k8s.io/apimachinery/pkg/util/duration)', () => {
  it.each([
    [-2, '<invalid>'], [-1, '0s'], [1, '1s'], [70, '70s'], [190, '3m10s'], [300, '5m'], [70 * 60, '70m'],
    [3 * 3600 + 60, '3h1m'], [47 * 3600, '47h'], [49 * 3600, '2d1h'], [(8 * 24 + 2) * 3600, '8d'],
    [367 * 24 * 3600, '367d'], [(365 * 2 * 24 + 25) * 3600, '2y1d'], [(365 * 8 * 24 + 2) * 3600, '8y'],
  ])('%d s -> %s', (s, want) => expect(humanDuration(s)).toBe(want));
});

describe('containsDesired (what "unchanged" means for create-or-replace)', () => {
  it('ignores fields the server added, but not changed or missing ones', () => {
    const live = { spec: { replicas: 2, template: { x: 1, y: [1, 2] } }, status: { ready: 1 } };
    expect(containsDesired(live, { spec: { replicas: 2, template: { y: [1, 2] } } })).toBe(true);
    expect(containsDesired(live, { spec: { replicas: 3 } })).toBe(false);
    expect(containsDesired(live, { spec: { template: { y: [1] } } })).toBe(false); // lists compare whole
    expect(containsDesired(live, { spec: { paused: false } })).toBe(false);
    expect(containsDesired({ a: [{ k: 1, extra: 2 }] }, { a: [{ k: 1 }] })).toBe(true);
  });

  it('builds REST paths for the kinds it knows, and refuses others clearly', () => {
    expect(objectPath({ kind: 'Secret', metadata: { name: 'a', namespace: 'kube-system' } })).toBe('/api/v1/namespaces/kube-system/secrets/a');
    expect(objectPath({ kind: 'ClusterRoleBinding', metadata: { name: 'x:y' } })).toBe('/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/x%3Ay');
    expect(collectionPath('DaemonSet', 'kube-flannel')).toBe('/apis/apps/v1/namespaces/kube-flannel/daemonsets');
    expect(() => collectionPath('Pod', 'x')).toThrow(ApiError);
    expect(() => collectionPath('Secret')).toThrow('Secret needs metadata.namespace');
  });
});

describe('retry classification', () => {
  it('retries what goes away while the apiserver starts, nothing else', () => {
    const err = (code: string) => Object.assign(new Error(code), { code });
    expect(isTransientNetworkError(err('ECONNREFUSED'))).toBe(true);
    expect(isTransientNetworkError(new Error('(SSH) Channel open failure: Connection refused'))).toBe(true);
    expect(isTransientNetworkError(err('ERR_TLS_CERT_ALTNAME_INVALID'))).toBe(false);
    expect(isTransientNetworkError(err('ENOTFOUND'))).toBe(false);
    expect([429, 500, 503, 504].every(isTransientStatus)).toBe(true);
    expect([400, 401, 403, 404, 409, 422, 501].some(isTransientStatus)).toBe(false);
  });
});

describe('approve option parsing', () => {
  it('reads durations and server URLs', () => {
    expect(parseDuration('10m')).toBe(600_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('45s')).toBe(45_000);
    expect(parseDuration('')).toBeUndefined();
    expect(parseDuration('10 minutes')).toBeUndefined();
    expect(parseServer('https://192.168.80.10:6443')).toEqual({ host: '192.168.80.10', port: 6443 });
    expect(parseServer('https://api.example')).toEqual({ host: 'api.example', port: 6443 });
    expect(parseServer('https://[fd00::1]:16443/')).toEqual({ host: 'fd00::1', port: 16443 });
    expect(parseServer('http://x:6443')).toBeUndefined();
    expect(parseServer('https://x:6443/api')).toBeUndefined();
  });
});
