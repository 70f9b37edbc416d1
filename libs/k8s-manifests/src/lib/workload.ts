import { createHash } from 'node:crypto';
import { ApiObject, Duration, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import {
  type AppEnv,
  configMapDataFor,
  environments,
  managementPaths,
  secretNames,
} from '@shipyard/config';
import {
  helm,
  offersSecretsManager,
  type RawHelmMarker,
  restartOnSecretChangeAnnotation,
} from './helm-values';
import { imageNode, imageUser } from './image';
import { appName, type DeployNames } from './names';

/** uid of the image's non-root user (distroless `nonroot`). */
export const runAsUser = imageUser();
/** Time for endpoint removal to reach every kube-proxy and load balancer before SIGTERM. */
export const preStopPauseSeconds = 5;

export interface ApiWorkloadProps {
  readonly env: AppEnv;
  readonly names: DeployNames;
  readonly selectorLabels: Record<string, string>;
}

/** The pods: their identity, settings, secrets and the Deployment that runs them. */
export class ApiWorkload extends Construct {
  readonly deployment: kplus.Deployment;

  constructor(scope: Construct, id: string, { env, names, selectorLabels }: ApiWorkloadProps) {
    super(scope, id);
    const settings = environments[env];
    const runtime = configMapDataFor(env);
    const managementPort = Number(runtime.MANAGEMENT_PORT);
    const drainSeconds = Number(runtime.SHUTDOWN_DRAIN_SECONDS);

    // Helm builds the whole annotations map: the IRSA role annotation only when serviceAccount.roleArn is set.
    const annotationsMarker: RawHelmMarker = 'HELM_RAW_SERVICE_ACCOUNT_ANNOTATIONS';
    const serviceAccount = new kplus.ServiceAccount(this, 'ServiceAccount', {
      metadata: { name: names.serviceAccount, annotations: { [annotationsMarker]: '' } },
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

    this.deployment = new kplus.Deployment(this, 'Deployment', {
      metadata: {
        name: names.deployment,
        // The seam for what rolls the pods when External Secrets Operator changes the Secret.
        ...(offersSecretsManager(env)
          ? {
              annotations: {
                [restartOnSecretChangeAnnotation]: helm.restartOnSecretChange(names.secret),
              },
            }
          : {}),
      },
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
            { name: 'http', number: Number(runtime.PORT) },
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
          // On the management port, so that a flood of clients cannot starve them.
          startup: kplus.Probe.fromHttpGet(managementPaths.liveness, {
            port: managementPort,
            periodSeconds: Duration.seconds(1),
            failureThreshold: 30,
          }),
          liveness: kplus.Probe.fromHttpGet(managementPaths.liveness, {
            port: managementPort,
            periodSeconds: Duration.seconds(10),
            failureThreshold: 3,
          }),
          readiness: kplus.Probe.fromHttpGet(managementPaths.readiness, {
            port: managementPort,
            periodSeconds: Duration.seconds(2),
            failureThreshold: 1,
          }),
          // The image has no shell and no sleep binary; node is there, at an absolute path only.
          lifecycle: {
            preStop: kplus.Handler.fromCommand([
              imageNode(),
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
    this.deployment.select(
      ...Object.entries(selectorLabels).map(([key, value]) =>
        kplus.LabelSelector.of({ labels: { [key]: value } }),
      ),
    );
    this.spreadAcrossNodes(selectorLabels);
  }

  /** Preferred anti-affinity, and a topology spread that counts only the pods of one ReplicaSet. */
  private spreadAcrossNodes(selectorLabels: Record<string, string>) {
    this.deployment.scheduling.spread({ topology: kplus.Topology.HOSTNAME, weight: 100 });
    ApiObject.of(this.deployment).addJsonPatch(
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
  }
}
