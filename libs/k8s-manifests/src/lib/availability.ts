import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { type AppEnv, environments } from '@shipyard/config';
import { appName } from './names';

export interface ApiAvailabilityProps {
  readonly env: AppEnv;
  readonly deployment: kplus.Deployment;
  readonly selectorLabels: Record<string, string>;
}

/** How many pods run: the CPU autoscaler, and how many a voluntary disruption may take at once. */
export class ApiAvailability extends Construct {
  constructor(
    scope: Construct,
    id: string,
    { env, deployment, selectorLabels }: ApiAvailabilityProps,
  ) {
    super(scope, id);
    const { autoscaling, disruptionBudget } = environments[env];

    new kplus.HorizontalPodAutoscaler(this, 'Autoscaler', {
      metadata: { name: appName },
      target: deployment,
      minReplicas: autoscaling.minReplicas,
      maxReplicas: autoscaling.maxReplicas,
      metrics: [
        kplus.Metric.resourceCpu(
          kplus.MetricTarget.averageUtilization(autoscaling.targetCpuUtilizationPercent),
        ),
      ],
    });

    new kplus.k8s.KubePodDisruptionBudget(this, 'DisruptionBudget', {
      metadata: { name: appName },
      spec: {
        maxUnavailable: kplus.k8s.IntOrString.fromNumber(disruptionBudget.maxUnavailable),
        selector: { matchLabels: selectorLabels },
      },
    });
  }
}
