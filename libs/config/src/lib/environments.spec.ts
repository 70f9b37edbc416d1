import { environments, isAppEnv, configMapDataFor, secretSources } from './environments';
import { appEnvNames, plainSettingNames } from './runtime-settings';

describe.each(appEnvNames)('environment %s', (env) => {
  const settings = environments[env];

  it('hands the process every plain setting, valid under the runtime schema', () => {
    const values = configMapDataFor(env);
    expect(Object.keys(values).sort()).toEqual([...plainSettingNames].sort());
    expect(values.APP_ENV).toBe(env);
  });

  it('serves probes and metrics on a management port apart from the app port', () => {
    const values = configMapDataFor(env);
    expect(values.MANAGEMENT_PORT).toMatch(/^\d+$/);
    expect(values.MANAGEMENT_PORT).not.toBe(values.PORT);
  });

  it('autoscales within sane bounds', () => {
    const { minReplicas, maxReplicas, targetCpuUtilizationPercent } = settings.autoscaling;
    expect(minReplicas).toBeGreaterThanOrEqual(1);
    expect(maxReplicas).toBeGreaterThanOrEqual(minReplicas);
    expect(targetCpuUtilizationPercent).toBeGreaterThan(0);
    expect(targetCpuUtilizationPercent).toBeLessThanOrEqual(100);
  });

  it('requests no more than it is limited to', () => {
    const { requests, limits } = settings.resources;
    expect(requests.cpuMillicores).toBeLessThanOrEqual(limits.cpuMillicores);
    expect(requests.memoryMebibytes).toBeLessThanOrEqual(limits.memoryMebibytes);
  });

  it('never lets the disruption budget block every eviction', () => {
    expect(settings.disruptionBudget.maxUnavailable).toBeGreaterThanOrEqual(1);
  });

  it('uses a NodePort inside the Kubernetes default range', () => {
    expect(settings.nodePort).toBeGreaterThanOrEqual(30000);
    expect(settings.nodePort).toBeLessThanOrEqual(32767);
  });
});

describe('environments', () => {
  it('keeps at least the original prod capacity: HPA 2..5 at 70 % CPU', () => {
    const { autoscaling } = environments.prod;
    expect(autoscaling.minReplicas).toBeGreaterThanOrEqual(2);
    expect(autoscaling.maxReplicas).toBeGreaterThanOrEqual(5);
    expect(autoscaling.targetCpuUtilizationPercent).toBeLessThanOrEqual(70);
  });

  it('gives each environment its own namespace and NodePort', () => {
    const all = appEnvNames.map((env) => environments[env]);
    expect(new Set(all.map((e) => e.namespace)).size).toBe(all.length);
    expect(new Set(all.map((e) => e.nodePort)).size).toBe(all.length);
  });

  it('offers Secrets Manager to prod only, and defaults every env to Helm-set secrets', () => {
    expect(environments.prod.secretSources).toContain('aws-secrets-manager');
    expect(environments.dev.secretSources).toEqual(['helm-values']);
    for (const env of appEnvNames) {
      const sources = environments[env].secretSources;
      expect(sources[0]).toBe('helm-values');
      expect(new Set(sources).size).toBe(sources.length);
      for (const source of sources) expect(secretSources).toContain(source);
    }
  });

  it('recognises only the known environment names', () => {
    expect(isAppEnv('prod')).toBe(true);
    expect(isAppEnv('qa')).toBe(false);
  });
});
