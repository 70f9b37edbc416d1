import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Testing } from 'cdk8s';
import {
  appEnvNames,
  environments,
  plainSettingNames,
  configMapDataFor,
  secretNames,
} from '@shipyard/config';
import { type K8sObject, only } from '../testing/objects';
import { ApiChart, NamespaceChart, preStopPauseSeconds } from './api-chart';
import { offersSecretsManager, restartOnSecretChangeAnnotation } from './helm-values';
import { monitoringNamespace } from './monitoring';
import { deployNames } from './names';
import { secretRestarterName } from './secret-restarter';

/** The Pod Security Standard "restricted" profile, as the apiserver checks a pod template. */
function restrictedViolations(pod: K8sObject['spec']): string[] {
  const problems: string[] = [];
  const podContext = pod.securityContext ?? {};
  if (pod.hostNetwork || pod.hostPID || pod.hostIPC) problems.push('host namespaces');
  const allowedVolumes = [
    'emptyDir',
    'configMap',
    'secret',
    'projected',
    'downwardAPI',
    'persistentVolumeClaim',
    'ephemeral',
    'csi',
  ];
  for (const volume of pod.volumes ?? []) {
    const types = Object.keys(volume).filter((key) => key !== 'name');
    if (!types.every((type) => allowedVolumes.includes(type)))
      problems.push(`volume ${volume.name}`);
  }
  for (const container of [...(pod.initContainers ?? []), ...pod.containers]) {
    const context = container.securityContext ?? {};
    if (context.privileged) problems.push(`${container.name}: privileged`);
    if (context.allowPrivilegeEscalation !== false)
      problems.push(`${container.name}: privilege escalation`);
    if (!(context.capabilities?.drop ?? []).includes('ALL'))
      problems.push(`${container.name}: capabilities not dropped`);
    const added = context.capabilities?.add ?? [];
    if (added.some((cap: string) => cap !== 'NET_BIND_SERVICE'))
      problems.push(`${container.name}: capabilities added`);
    if ((context.runAsNonRoot ?? podContext.runAsNonRoot) !== true)
      problems.push(`${container.name}: may run as root`);
    if ((context.runAsUser ?? podContext.runAsUser) === 0)
      problems.push(`${container.name}: runs as uid 0`);
    const seccomp = (context.seccompProfile ?? podContext.seccompProfile)?.type;
    if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost')
      problems.push(`${container.name}: seccomp`);
    if ((container.ports ?? []).some((port: { hostPort?: number }) => port.hostPort))
      problems.push(`${container.name}: hostPort`);
  }
  return problems;
}

describe.each(appEnvNames)('the %s chart', (env) => {
  const settings = environments[env];
  const names = deployNames(env);
  const runtime = configMapDataFor(env);
  const app = Testing.app();
  const namespace = only(Testing.synth(new NamespaceChart(app, 'namespace', { env })), 'Namespace');
  // The secret restarter's objects (prod, aws-secrets-manager only) are secret-restarter.spec.ts's.
  const objects = (
    Testing.synth(new ApiChart(app, 'api', { env, appVersion: '1.2.3' })) as K8sObject[]
  ).filter((object) => object.metadata.name !== secretRestarterName);
  const deployment = only(objects, 'Deployment');
  const pod = deployment.spec.template.spec;
  const [container] = pod.containers;
  const podLabels = deployment.spec.template.metadata.labels;
  const selects = (selector: Record<string, string>) =>
    Object.entries(selector).every(([key, value]) => podLabels[key] === value);

  it('puts everything in a namespace that enforces restricted Pod Security', () => {
    expect(namespace.metadata.name).toBe(settings.namespace);
    expect(namespace.metadata.labels).toMatchObject({
      'pod-security.kubernetes.io/enforce': 'restricted',
      'pod-security.kubernetes.io/audit': 'restricted',
      'pod-security.kubernetes.io/warn': 'restricted',
    });
    expect(objects.every((object) => object.metadata.namespace === settings.namespace)).toBe(true);
  });

  it('has exactly the objects an environment needs', () => {
    const core = ['ConfigMap', 'Deployment', 'HorizontalPodAutoscaler', 'NetworkPolicy'];
    const rest = ['PodDisruptionBudget', 'Secret', 'Service', 'ServiceAccount'];
    const monitoring = settings.monitoring
      ? ['ConfigMap', 'PrometheusRule', 'Service', 'ServiceMonitor']
      : [];
    // Helm renders either the Secret or these two, by secretsSource (helm-chart.spec.ts).
    const secretsManager = offersSecretsManager(env) ? ['ExternalSecret', 'SecretStore'] : [];
    expect(objects.map((object) => object.kind).sort()).toEqual(
      [...core, ...rest, ...monitoring, ...secretsManager].sort(),
    );
  });

  it('gives the pods no service account token', () => {
    expect(only(objects, 'ServiceAccount').automountServiceAccountToken).toBe(false);
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.serviceAccountName).toBe(names.serviceAccount);
  });

  it('hands the process every non-secret setting of the environment through a ConfigMap', () => {
    const config = objects.find((object) => object.metadata.name === names.configMap) as K8sObject;
    expect(Object.keys(config.data).sort()).toEqual([...plainSettingNames].sort());
    expect(config.data).toEqual(runtime);
    expect(container.envFrom).toContainEqual({ configMapRef: { name: names.configMap } });
  });

  it('templates every secret from Helm values, base64-encoded, never a literal', () => {
    const secret = only(objects, 'Secret');
    expect(secret.stringData).toBeUndefined();
    expect(Object.keys(secret.data).sort()).toEqual([...secretNames].sort());
    for (const name of secretNames) {
      expect(secret.data[name]).toMatch(
        new RegExp(`^\\{\\{ required .* \\.Values\\.secrets\\.${name} \\| b64enc \\}\\}$`),
      );
    }
    expect(container.envFrom).toContainEqual({ secretRef: { name: names.secret } });
  });

  it('leaves the replica count to the autoscaler', () => {
    expect(deployment.spec.replicas).toBeUndefined();
    const autoscaler = only(objects, 'HorizontalPodAutoscaler');
    expect(autoscaler.apiVersion).toBe('autoscaling/v2');
    expect(autoscaler.spec).toMatchObject({
      minReplicas: settings.autoscaling.minReplicas,
      maxReplicas: settings.autoscaling.maxReplicas,
      scaleTargetRef: { kind: 'Deployment', name: names.deployment },
      metrics: [
        {
          type: 'Resource',
          resource: {
            name: 'cpu',
            target: {
              type: 'Utilization',
              averageUtilization: settings.autoscaling.targetCpuUtilizationPercent,
            },
          },
        },
      ],
    });
  });

  it('scales down after a minute of lower load, at most half the pods per 30 s; scales up at once', () => {
    const { behavior } = only(objects, 'HorizontalPodAutoscaler').spec;
    expect(behavior.scaleDown).toEqual({
      stabilizationWindowSeconds: 60,
      selectPolicy: 'Max',
      policies: [{ type: 'Percent', value: 50, periodSeconds: 30 }],
    });
    // Scale-up: no window, up to 4 pods or +200% per minute.
    expect(behavior.scaleUp).toEqual({
      stabilizationWindowSeconds: 0,
      selectPolicy: 'Max',
      policies: [
        { type: 'Pods', value: 4, periodSeconds: 60 },
        { type: 'Percent', value: 200, periodSeconds: 60 },
      ],
    });
  });

  it('rolls out without ever going below the wanted count', () => {
    expect(deployment.spec.strategy).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxSurge: 1, maxUnavailable: 0 },
    });
  });

  it('probes start-up and liveness on /healthz and readiness on /readyz, on the management port', () => {
    const port = Number(runtime.MANAGEMENT_PORT);
    expect(port).not.toBe(Number(runtime.PORT));
    expect(container.startupProbe.httpGet).toMatchObject({ path: '/healthz', port });
    expect(container.livenessProbe.httpGet).toMatchObject({ path: '/healthz', port });
    expect(container.readinessProbe.httpGet).toMatchObject({ path: '/readyz', port });
    expect(container.ports).toEqual([
      { name: 'http', containerPort: Number(runtime.PORT) },
      { name: 'management', containerPort: port },
    ]);
  });

  it('requests and limits what the environment says', () => {
    const { requests, limits } = settings.resources;
    expect(container.resources).toEqual({
      requests: { cpu: `${requests.cpuMillicores}m`, memory: `${requests.memoryMebibytes}Mi` },
      limits: { cpu: `${limits.cpuMillicores}m`, memory: `${limits.memoryMebibytes}Mi` },
    });
  });

  it('meets the restricted Pod Security profile with a read-only root and a writable /tmp', () => {
    expect(restrictedViolations(pod)).toEqual([]);
    expect(container.securityContext.readOnlyRootFilesystem).toBe(true);
    const tmp = container.volumeMounts.find(
      (mount: { mountPath: string }) => mount.mountPath === '/tmp',
    );
    expect(pod.volumes.find((volume: { name: string }) => volume.name === tmp.name)).toHaveProperty(
      'emptyDir',
    );
  });

  it('prefers one pod per node and spreads across nodes', () => {
    const [term] = pod.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution;
    expect(term.podAffinityTerm.topologyKey).toBe('kubernetes.io/hostname');
    expect(selects(term.podAffinityTerm.labelSelector.matchLabels)).toBe(true);
    const [spread] = pod.topologySpreadConstraints;
    expect(spread).toMatchObject({
      topologyKey: 'kubernetes.io/hostname',
      maxSkew: 1,
      whenUnsatisfiable: 'ScheduleAnyway',
    });
    expect(selects(spread.labelSelector.matchLabels)).toBe(true);
  });

  it("execs its preStop pause with the image's own node, by absolute path (no shell, no PATH there)", () => {
    const dockerfile = readFileSync(join(__dirname, '../../../../apps/api/Dockerfile'), 'utf8');
    const [executable] = container.lifecycle.preStop.exec.command;
    expect(executable).toMatch(/^\//);
    expect(dockerfile).toContain(`ENTRYPOINT ["${executable}"]`);
  });

  it('pauses before SIGTERM and allows longer than pause plus drain to stop', () => {
    expect(container.lifecycle.preStop.exec.command.join(' ')).toContain(
      String(preStopPauseSeconds * 1000),
    );
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(
      preStopPauseSeconds + Number(runtime.SHUTDOWN_DRAIN_SECONDS),
    );
  });

  it('rolls the pods when configuration or secret values change', () => {
    const annotations = deployment.spec.template.metadata.annotations;
    expect(annotations['checksum/config']).toMatch(/^[0-9a-f]{64}$/);
    expect(annotations['checksum/secrets']).toBe('{{ .Values.secrets | toJson | sha256sum }}');
  });

  it('takes the image from Helm values, defaulting the tag to the app version', () => {
    expect(container.image).toBe(
      '{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}',
    );
  });

  it('exposes the pods on the environment NodePort, the app port only', () => {
    const service = objects.find(
      (object) => object.kind === 'Service' && object.metadata.name === names.service,
    ) as K8sObject;
    expect(service.metadata.name).toBe(names.service);
    expect(service.spec.type).toBe('NodePort');
    expect(service.spec.ports).toEqual([
      { name: 'http', port: 80, targetPort: Number(runtime.PORT), nodePort: settings.nodePort },
    ]);
    expect(selects(service.spec.selector)).toBe(true);
  });

  it('has a disruption budget that never blocks every eviction', () => {
    const budget = only(objects, 'PodDisruptionBudget');
    expect(budget.spec.maxUnavailable).toBe(settings.disruptionBudget.maxUnavailable);
    expect(budget.spec.maxUnavailable).toBeGreaterThanOrEqual(1);
    expect(selects(budget.spec.selector.matchLabels)).toBe(true);
  });

  it('admits the app port from anywhere and the management port from Prometheus only', () => {
    const policy = only(objects, 'NetworkPolicy');
    expect(policy.spec.policyTypes).toEqual(['Ingress']);
    expect(selects(policy.spec.podSelector.matchLabels)).toBe(true);
    type Rule = { ports: { port: number }[]; from: Record<string, unknown>[] };
    const rules = policy.spec.ingress as Rule[];
    const ports = rules.flatMap((rule) => rule.ports);
    const expected = [Number(runtime.PORT)];
    if (settings.monitoring) expected.push(Number(runtime.MANAGEMENT_PORT));
    expect(new Set(ports.map((port) => port.port))).toEqual(new Set(expected));
    const management = rules.filter((rule) =>
      rule.ports.some((port) => port.port === Number(runtime.MANAGEMENT_PORT)),
    );
    expect(management.flatMap((rule) => rule.from)).toEqual(
      settings.monitoring
        ? [
            {
              namespaceSelector: {
                matchLabels: { 'kubernetes.io/metadata.name': monitoringNamespace },
              },
              podSelector: {},
            },
          ]
        : [],
    );
  });

  it('offers secrets from AWS Secrets Manager only where libs/config allows it (prod)', () => {
    expect(offersSecretsManager(env)).toBe(settings.secretSources.includes('aws-secrets-manager'));
    expect(offersSecretsManager('prod')).toBe(true);
    expect(offersSecretsManager('dev')).toBe(false);
  });

  if (offersSecretsManager(env)) {
    it('syncs every secret key from Secrets Manager into the Secret the pods read, through IRSA', () => {
      const store = only(objects, 'SecretStore');
      const external = only(objects, 'ExternalSecret');
      expect(store.metadata.name).toBe(names.secretStore);
      expect(store.spec.provider.aws).toMatchObject({
        service: 'SecretsManager',
        region: expect.stringContaining('.Values.awsSecretsManager.region'),
        auth: { jwt: { serviceAccountRef: { name: names.serviceAccount } } },
      });
      expect(pod.serviceAccountName).toBe(names.serviceAccount);
      expect(external.spec.secretStoreRef).toEqual({
        kind: 'SecretStore',
        name: names.secretStore,
      });
      expect(external.spec.target).toMatchObject({ name: names.secret, creationPolicy: 'Owner' });
      expect(container.envFrom).toContainEqual({ secretRef: { name: names.secret } });
      expect(external.spec.refreshPolicy).toBe('Periodic');
      expect(external.spec.refreshInterval).toContain('.Values.awsSecretsManager.refreshInterval');
      const data = external.spec.data as { secretKey: string; remoteRef: { key: string } }[];
      expect(data.map((entry) => entry.secretKey).sort()).toEqual([...secretNames].sort());
      for (const entry of data) {
        expect(entry.remoteRef.key).toContain(
          `.Values.awsSecretsManager.secretIds.${entry.secretKey} }}`,
        );
      }
    });

    it('names, on the Deployment, the Secret whose changes must roll the pods', () => {
      expect(deployment.metadata.annotations?.[restartOnSecretChangeAnnotation]).toBe(
        `{{ if eq .Values.secretsSource "aws-secrets-manager" }}${names.secret}{{ end }}`,
      );
    });
  }
});
