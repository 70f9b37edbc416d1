import { createHash } from 'node:crypto';
import { ApiObject, Chart, Duration, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import type { Construct } from 'constructs';
import { type AppEnv, environments, runtimeSettingsFor, secretNames } from '@shipyard/config';
import { servicePort } from './contract';
import { helm } from './helm-values';
import { Monitoring, monitoringNamespace } from './monitoring';
import { appName, type DeployNames, deployNames, probePaths } from './names';

export interface ApiChartProps {
  readonly env: AppEnv;
  readonly appVersion: string;
}

/** uid of the image's non-root user (distroless `nonroot`). */
export const runAsUser = 65532;
/** Time for endpoint removal to reach every kube-proxy and load balancer before SIGTERM. */
export const preStopPauseSeconds = 5;

/** The namespace, cluster-scoped, so it lives outside the namespaced chart. */
export class NamespaceChart extends Chart {
  constructor(scope: Construct, id: string, { env }: { env: AppEnv }) {
    super(scope, id, { disableResourceNameHashes: true });
    const restricted = {
      'pod-security.kubernetes.io/enforce': 'restricted',
      'pod-security.kubernetes.io/enforce-version': 'latest',
      'pod-security.kubernetes.io/audit': 'restricted',
      'pod-security.kubernetes.io/warn': 'restricted',
    };
    new kplus.Namespace(this, 'Namespace', {
      metadata: { name: environments[env].namespace, labels: restricted },
    });
  }
}

/** Everything one environment of the API needs inside its namespace. */
export class ApiChart extends Chart {
  readonly names: DeployNames;

  constructor(scope: Construct, id: string, { env, appVersion }: ApiChartProps) {
    const names = deployNames(env);
    const selectorLabels = {
      'app.kubernetes.io/name': appName,
      'app.kubernetes.io/instance': names.release,
    };
    super(scope, id, {
      namespace: names.namespace,
      disableResourceNameHashes: true,
      labels: {
        ...selectorLabels,
        'app.kubernetes.io/version': appVersion,
        'app.kubernetes.io/part-of': 'shipyard',
        'app.kubernetes.io/managed-by': 'Helm',
      },
    });
    this.names = names;

    const settings = environments[env];
    const runtime = runtimeSettingsFor(env);
    const port = Number(runtime.PORT);
    // Probes and metrics on their own port, so that a client flood cannot starve them.
    const managementPort = Number(runtime.MANAGEMENT_PORT);
    const drainSeconds = Number(runtime.SHUTDOWN_DRAIN_SECONDS);

    const serviceAccount = new kplus.ServiceAccount(this, 'ServiceAccount', {
      metadata: { name: names.serviceAccount },
      automountToken: false,
    });

    const config = new kplus.ConfigMap(this, 'Config', {
      metadata: { name: names.configMap },
      data: runtime,
    });

    new kplus.k8s.KubeSecret(this, 'Secrets', {
      metadata: { name: names.secret },
      type: 'Opaque',
      data: Object.fromEntries(secretNames.map((name) => [name, helm.secretData(name)])),
    });
    const secret = kplus.Secret.fromSecretName(this, 'SecretRef', names.secret);

    const deployment = new kplus.Deployment(this, 'Deployment', {
      metadata: { name: names.deployment },
      select: false,
      podMetadata: {
        labels: selectorLabels,
        annotations: {
          'checksum/config': createHash('sha256').update(JSON.stringify(runtime)).digest('hex'),
          'checksum/secrets': helm.secretsChecksum,
        },
      },
      serviceAccount,
      automountServiceAccountToken: false,
      // Surge one new pod before taking an old one away: capacity never drops below the wanted count.
      strategy: kplus.DeploymentStrategy.rollingUpdate({
        maxSurge: kplus.PercentOrAbsolute.absolute(1),
        maxUnavailable: kplus.PercentOrAbsolute.absolute(0),
      }),
      terminationGracePeriod: Duration.seconds(preStopPauseSeconds + drainSeconds + 15),
      securityContext: {
        ensureNonRoot: true,
        user: runAsUser,
        group: runAsUser,
        fsGroup: runAsUser,
      },
      containers: [
        {
          name: appName,
          image: helm.image,
          imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
          ports: [
            { name: 'http', number: port },
            { name: 'management', number: managementPort },
          ],
          envFrom: [kplus.Env.fromConfigMap(config), kplus.Env.fromSecret(secret)],
          securityContext: {
            ensureNonRoot: true,
            user: runAsUser,
            group: runAsUser,
            readOnlyRootFilesystem: true,
            allowPrivilegeEscalation: false,
            privileged: false,
            capabilities: { drop: [kplus.Capability.ALL] },
            seccompProfile: { type: kplus.SeccompProfileType.RUNTIME_DEFAULT },
          },
          resources: {
            cpu: {
              request: kplus.Cpu.millis(settings.resources.requests.cpuMillicores),
              limit: kplus.Cpu.millis(settings.resources.limits.cpuMillicores),
            },
            memory: {
              request: Size.mebibytes(settings.resources.requests.memoryMebibytes),
              limit: Size.mebibytes(settings.resources.limits.memoryMebibytes),
            },
          },
          startup: kplus.Probe.fromHttpGet(probePaths.liveness, {
            port: managementPort,
            periodSeconds: Duration.seconds(1),
            failureThreshold: 30,
          }),
          liveness: kplus.Probe.fromHttpGet(probePaths.liveness, {
            port: managementPort,
            periodSeconds: Duration.seconds(10),
            failureThreshold: 3,
          }),
          readiness: kplus.Probe.fromHttpGet(probePaths.readiness, {
            port: managementPort,
            periodSeconds: Duration.seconds(2),
            failureThreshold: 1,
          }),
          // The image has no shell and no sleep binary; node is there.
          lifecycle: {
            preStop: kplus.Handler.fromCommand([
              'node',
              '-e',
              `setTimeout(() => {}, ${preStopPauseSeconds * 1000})`,
            ]),
          },
          volumeMounts: [
            {
              path: '/tmp',
              volume: kplus.Volume.fromEmptyDir(this, 'Tmp', 'tmp', {
                sizeLimit: Size.mebibytes(64),
              }),
            },
          ],
        },
      ],
    });
    deployment.select(
      ...Object.entries(selectorLabels).map(([key, value]) =>
        kplus.LabelSelector.of({ labels: { [key]: value } }),
      ),
    );
    deployment.scheduling.spread({ topology: kplus.Topology.HOSTNAME, weight: 100 });
    ApiObject.of(deployment).addJsonPatch(
      JsonPatch.add('/spec/template/spec/topologySpreadConstraints', [
        {
          maxSkew: 1,
          topologyKey: 'kubernetes.io/hostname',
          whenUnsatisfiable: 'ScheduleAnyway',
          labelSelector: { matchLabels: selectorLabels },
          matchLabelKeys: ['pod-template-hash'],
        },
      ]),
    );

    deployment.exposeViaService({
      name: names.service,
      serviceType: kplus.ServiceType.NODE_PORT,
      ports: [{ name: 'http', port: servicePort, targetPort: port, nodePort: settings.nodePort }],
    });

    const { minReplicas, maxReplicas, targetCpuUtilizationPercent } = settings.autoscaling;
    new kplus.HorizontalPodAutoscaler(this, 'Autoscaler', {
      metadata: { name: appName },
      target: deployment,
      minReplicas,
      maxReplicas,
      metrics: [
        kplus.Metric.resourceCpu(
          kplus.MetricTarget.averageUtilization(targetCpuUtilizationPercent),
        ),
      ],
    });

    if (settings.monitoring) {
      // The Service carries the chart labels, which include the pod selector labels.
      new Monitoring(this, 'Monitoring', {
        names,
        selectorLabels,
        managementPort,
      });
    }

    new kplus.k8s.KubePodDisruptionBudget(this, 'DisruptionBudget', {
      metadata: { name: appName },
      spec: {
        maxUnavailable: kplus.k8s.IntOrString.fromNumber(settings.disruptionBudget.maxUnavailable),
        selector: { matchLabels: selectorLabels },
      },
    });

    new kplus.NetworkPolicy(this, 'NetworkPolicy', {
      metadata: { name: appName },
      selector: deployment,
      ingress: {
        default: kplus.NetworkPolicyTrafficDefault.DENY,
        // NodePort traffic arrives from outside the cluster; whether an ipBlock also matches pod
        // addresses depends on the network plugin, so both. The kubelet's probes come from the
        // node, which a NetworkPolicy always admits; the management port admits Prometheus only.
        rules: [
          {
            peer: kplus.NetworkPolicyIpBlock.anyIpv4(this, 'AnyIpv4'),
            ports: [kplus.NetworkPolicyPort.tcp(port)],
          },
          {
            peer: kplus.Namespaces.all(this, 'AllNamespaces'),
            ports: [kplus.NetworkPolicyPort.tcp(port)],
          },
          ...(settings.monitoring
            ? [
                {
                  peer: kplus.Namespaces.select(this, 'MonitoringNamespace', {
                    names: [monitoringNamespace],
                  }),
                  ports: [kplus.NetworkPolicyPort.tcp(managementPort)],
                },
              ]
            : []),
        ],
      },
    });
  }
}
