import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { restartOnSecretChangeAnnotation } from './helm-values';
import { runAsUser } from './workload';

/** The image's second program (apps/api/src/secret-restarter), copied there by apps/api/Dockerfile. */
export const secretRestarterScript = '/app/secret-restarter.js';
/** Deployment, ServiceAccount, Role, RoleBinding and NetworkPolicy all carry this name. */
export const secretRestarterName = 'api-secret-restarter';

export interface SecretRestarterProps {
  /** The API's image: the restarter ships in it (`secret-restarter.js` beside `main.js`). */
  readonly image: string;
  /** The Secret External Secrets Operator writes, which the API's pods read at start. */
  readonly secretName: string;
  /** The API's Deployment, rolled when that Secret's data changes. */
  readonly deploymentName: string;
  /** Helm release (app.kubernetes.io/instance of the restarter's pods). */
  readonly release: string;
  /** Seconds between full re-checks on top of the watch. */
  readonly resyncSeconds?: number;
}

/**
 * Rolls the API's pods when External Secrets Operator changes their Secret (a rotation in AWS Secrets Manager):
 * Helm's checksum annotation cannot see a change made outside Helm, and the pods read the Secret only at start.
 * A one-replica Deployment of the API image's `secret-restarter.js`, with its own ServiceAccount whose Role
 * reaches exactly that Secret (get, list and watch it by name) and that Deployment (get, patch), nothing else;
 * restricted Pod Security; no inbound traffic (it serves nothing).
 */
export class SecretRestarter extends Construct {
  constructor(scope: Construct, id: string, props: SecretRestarterProps) {
    super(scope, id);
    const { image, secretName, deploymentName, release } = props;
    const labels = {
      'app.kubernetes.io/name': secretRestarterName,
      'app.kubernetes.io/instance': release,
      'app.kubernetes.io/component': 'secret-restarter',
    };
    const metadata = { name: secretRestarterName };

    new kplus.k8s.KubeServiceAccount(this, 'ServiceAccount', {
      metadata,
      automountServiceAccountToken: false,
    });
    new kplus.k8s.KubeRole(this, 'Role', {
      metadata,
      rules: [
        // list and watch with the field selector metadata.name=<secret> are authorized against resourceNames.
        {
          apiGroups: [''],
          resources: ['secrets'],
          resourceNames: [secretName],
          verbs: ['get', 'list', 'watch'],
        },
        {
          apiGroups: ['apps'],
          resources: ['deployments'],
          resourceNames: [deploymentName],
          verbs: ['get', 'patch'],
        },
      ],
    });
    new kplus.k8s.KubeRoleBinding(this, 'RoleBinding', {
      metadata,
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: secretRestarterName },
      subjects: [{ kind: 'ServiceAccount', name: secretRestarterName }],
    });
    new kplus.k8s.KubeDeployment(this, 'Deployment', {
      metadata,
      spec: {
        replicas: 1,
        // Never two at once: both would see the same change and roll the API twice.
        strategy: { type: 'Recreate' },
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: secretRestarterName,
            // The one pod of the chart that talks to the API server: only it mounts a token.
            automountServiceAccountToken: true,
            securityContext: {
              runAsNonRoot: true,
              runAsUser,
              runAsGroup: runAsUser,
              seccompProfile: { type: 'RuntimeDefault' },
            },
            containers: [
              {
                name: 'secret-restarter',
                image,
                imagePullPolicy: 'IfNotPresent',
                // The image's entrypoint is node; this replaces its argument (the API's main.js).
                args: [secretRestarterScript],
                env: [
                  {
                    name: 'WATCH_NAMESPACE',
                    valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } },
                  },
                  { name: 'SECRET_NAME', value: secretName },
                  { name: 'DEPLOYMENT_NAME', value: deploymentName },
                  { name: 'RESYNC_SECONDS', value: String(props.resyncSeconds ?? 60) },
                  // It rolls the Deployment only while the chart marks it as fed by External Secrets Operator.
                  { name: 'OPT_IN_ANNOTATION', value: restartOnSecretChangeAnnotation },
                ],
                securityContext: {
                  runAsNonRoot: true,
                  runAsUser,
                  runAsGroup: runAsUser,
                  readOnlyRootFilesystem: true,
                  allowPrivilegeEscalation: false,
                  privileged: false,
                  capabilities: { drop: ['ALL'] },
                  seccompProfile: { type: 'RuntimeDefault' },
                },
                resources: {
                  requests: {
                    cpu: kplus.k8s.Quantity.fromString('10m'),
                    memory: kplus.k8s.Quantity.fromString('64Mi'),
                  },
                  limits: {
                    cpu: kplus.k8s.Quantity.fromString('200m'),
                    memory: kplus.k8s.Quantity.fromString('128Mi'),
                  },
                },
              },
            ],
          },
        },
      },
    });
    new kplus.k8s.KubeNetworkPolicy(this, 'NetworkPolicy', {
      metadata,
      spec: { podSelector: { matchLabels: labels }, policyTypes: ['Ingress'] },
    });
  }
}
