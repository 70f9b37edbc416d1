import { Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import type { Construct } from 'constructs';
import { type AppEnv, environments } from '@shipyard/config';

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
