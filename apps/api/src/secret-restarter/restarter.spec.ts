import {
  decide,
  RESTARTED_AT_ANNOTATION,
  SEEN_ANNOTATION,
  secretDataDigest,
  settingsFromEnv,
} from './restarter';

const now = new Date('2026-12-02T10:00:00Z');

describe('secretDataDigest', () => {
  it('depends on every key and value, not on key order', () => {
    const a = secretDataDigest({ A: 'MQ==', B: 'Mg==' });
    expect(secretDataDigest({ B: 'Mg==', A: 'MQ==' })).toBe(a);
    expect(secretDataDigest({ A: 'MQ==', B: 'Mw==' })).not.toBe(a);
    expect(secretDataDigest({ A: 'MQ==' })).not.toBe(a);
    // A key/value boundary cannot be shifted to collide.
    expect(secretDataDigest({ AB: 'C' })).not.toBe(secretDataDigest({ A: 'BC' }));
    expect(a).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('decide', () => {
  it('only records the data on first sight, so an install does not roll the pods it just started', () => {
    expect(decide('d1', {}, now)).toEqual({
      action: 'record',
      patch: { metadata: { annotations: { [SEEN_ANNOTATION]: 'd1' } } },
    });
  });

  it('does nothing while the data is unchanged', () => {
    expect(decide('d1', { [SEEN_ANNOTATION]: 'd1' }, now)).toEqual({ action: 'none' });
  });

  it('rolls the pods (a new pod-template annotation) when the data changes', () => {
    expect(decide('d2', { [SEEN_ANNOTATION]: 'd1' }, now)).toEqual({
      action: 'restart',
      patch: {
        metadata: { annotations: { [SEEN_ANNOTATION]: 'd2' } },
        spec: {
          template: {
            metadata: { annotations: { [RESTARTED_AT_ANNOTATION]: '2026-12-02T10:00:00.000Z' } },
          },
        },
      },
    });
  });

  it('leaves a Deployment alone unless its opt-in annotation names the Secret', () => {
    const optIn = {
      annotation: 'shipyard.dev/restart-on-secret-change',
      secretName: 'api-secrets',
    };
    const refused = decide('d2', { [SEEN_ANNOTATION]: 'd1' }, now, optIn);
    expect(refused).toEqual({
      action: 'refuse',
      reason:
        'the deployment\'s annotation shipyard.dev/restart-on-secret-change is null, not the secret\'s name "api-secrets"',
    });
    const named = { [SEEN_ANNOTATION]: 'd1', [optIn.annotation]: 'api-secrets' };
    expect(decide('d2', named, now, optIn).action).toBe('restart');
    expect(decide('d2', { ...named, [optIn.annotation]: '' }, now, optIn).action).toBe('refuse');
  });
});

describe('settingsFromEnv', () => {
  it('reads the names and the resync period', () => {
    expect(
      settingsFromEnv({
        WATCH_NAMESPACE: 'api-prod',
        SECRET_NAME: 'api-secrets',
        DEPLOYMENT_NAME: 'api',
        OPT_IN_ANNOTATION: 'shipyard.dev/restart-on-secret-change',
      }),
    ).toEqual({
      namespace: 'api-prod',
      secretName: 'api-secrets',
      deploymentName: 'api',
      resyncSeconds: 60,
      optInAnnotation: 'shipyard.dev/restart-on-secret-change',
    });
  });

  it('names every missing or malformed variable at once', () => {
    expect(() =>
      settingsFromEnv({ SECRET_NAME: 'Not_A_Name', DEPLOYMENT_NAME: 'api', RESYNC_SECONDS: '1' }),
    ).toThrow(
      'invalid configuration: WATCH_NAMESPACE is required (the name of the object to act on); ' +
        'SECRET_NAME must be a Kubernetes object name (got "Not_A_Name"); ' +
        'RESYNC_SECONDS must be a whole number of seconds, at least 5 (got "1")',
    );
  });
});
