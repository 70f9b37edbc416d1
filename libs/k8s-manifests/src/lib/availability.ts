import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { type AppEnv, environments } from '@shipyard/config';
import { appName } from './names';

export interface ApiAvailabilityProps {
  readonly env: AppEnv;
  readonly deployment: kplus.Deployment;
  readonly selectorLabels: Record<string, string>;
}

/**
 * When the autoscaler removes pods. Kubernetes' default waits 5 minutes of lower recommendations and then may drop
 * straight to the minimum (cdk8s-plus' default: by minReplicas pods per 5 minutes). Ours: a 60 s window, then at
 * most half the pods per 30 s. Why this is safe in production: a pod of this app is Ready within seconds of being
 * scheduled (startup probe every 1 s), so capacity removed too early is back within one 15 s HPA period, while
 * the window still absorbs dips shorter than a minute; halving at most every 30 s means a drop in traffic never
 * takes more than half the capacity at once, and minReplicas stays the floor. Every removed pod drains first
 * (preStop pause, readiness flip, connection: close), so scaling down loses no request (tools/cluster-e2e, real
 * nodes, asserts it). Scale-up is left at cdk8s-plus' default: up to 4 pods or +200% per minute, no window.
 */
export const scaleDownBehavior = {
  stabilizationWindowSeconds: 60,
  maxRemovedPercent: 50,
  periodSeconds: 30,
} as const;

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
      scaleDown: {
        stabilizationWindow: Duration.seconds(scaleDownBehavior.stabilizationWindowSeconds),
        policies: [
          {
            replicas: kplus.Replicas.percent(scaleDownBehavior.maxRemovedPercent),
            duration: Duration.seconds(scaleDownBehavior.periodSeconds),
          },
        ],
      },
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
