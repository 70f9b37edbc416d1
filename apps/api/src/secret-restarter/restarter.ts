import { createHash } from 'node:crypto';

/**
 * Rolls a Deployment when a Secret it reads changes outside Helm (External Secrets Operator syncing a
 * rotation from AWS Secrets Manager): the pods read the Secret as environment variables at start only.
 * It does what `kubectl rollout restart` does, a new pod-template annotation, so the Deployment's own
 * rolling update (surge first, maxUnavailable 0) replaces the pods.
 */

/** On the Deployment itself (not its pod template, so writing it rolls nothing): the data the pods last got. */
export const SEEN_ANNOTATION = 'secret-restarter.shipyard.dev/secret-sha256';
/** On the pod template: changing it is what rolls the pods. */
export const RESTARTED_AT_ANNOTATION = 'secret-restarter.shipyard.dev/restartedAt';

/** Digest of a Secret's data (keys sorted): compared, never the values themselves; not reversible. */
export function secretDataDigest(data: Record<string, string> | undefined): string {
  const hash = createHash('sha256');
  for (const key of Object.keys(data ?? {}).sort()) {
    hash.update(`${key}\0${data?.[key] ?? ''}\0`);
  }
  return hash.digest('hex');
}

export type Decision =
  | { action: 'none' }
  /** The Deployment does not name this Secret in its opt-in annotation: it is left alone. */
  | { action: 'refuse'; reason: string }
  /** First sight of this Deployment: its pods run the current data; only remember it. */
  | { action: 'record'; patch: DeploymentPatch }
  | { action: 'restart'; patch: DeploymentPatch };

export interface DeploymentPatch {
  metadata: { annotations: Record<string, string> };
  spec?: { template: { metadata: { annotations: Record<string, string> } } };
}

/**
 * What to do given the Secret's current digest and the Deployment's annotations (a JSON merge patch). With an
 * opt-in annotation, the Deployment must name the Secret in it (the chart sets it only when External Secrets
 * Operator writes that Secret), so a misconfigured restarter rolls nothing.
 */
export function decide(
  digest: string,
  deploymentAnnotations: Record<string, string> | undefined,
  now: Date,
  optIn?: { annotation: string; secretName: string },
): Decision {
  if (optIn && deploymentAnnotations?.[optIn.annotation] !== optIn.secretName) {
    return {
      action: 'refuse',
      reason: `the deployment's annotation ${optIn.annotation} is ${JSON.stringify(deploymentAnnotations?.[optIn.annotation] ?? null)}, not the secret's name ${JSON.stringify(optIn.secretName)}`,
    };
  }
  const seen = deploymentAnnotations?.[SEEN_ANNOTATION];
  if (seen === digest) return { action: 'none' };
  const metadata = { annotations: { [SEEN_ANNOTATION]: digest } };
  if (seen === undefined) return { action: 'record', patch: { metadata } };
  return {
    action: 'restart',
    patch: {
      metadata,
      spec: {
        template: { metadata: { annotations: { [RESTARTED_AT_ANNOTATION]: now.toISOString() } } },
      },
    },
  };
}

export interface RestarterSettings {
  namespace: string;
  secretName: string;
  deploymentName: string;
  /** Seconds between full re-checks, on top of the watch (which can miss an event while reconnecting). */
  resyncSeconds: number;
  /** Annotation the Deployment must carry, with the Secret's name as value, to be rolled (unset: no check). */
  optInAnnotation?: string;
}

const NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

/** Settings from the environment; every problem is named, with the fix. */
export function settingsFromEnv(env: NodeJS.ProcessEnv): RestarterSettings {
  const problems: string[] = [];
  const name = (variable: string): string => {
    const value = env[variable] ?? '';
    if (!value) problems.push(`${variable} is required (the name of the object to act on)`);
    else if (!NAME.test(value))
      problems.push(`${variable} must be a Kubernetes object name (got ${JSON.stringify(value)})`);
    return value;
  };
  const settings = {
    namespace: name('WATCH_NAMESPACE'),
    secretName: name('SECRET_NAME'),
    deploymentName: name('DEPLOYMENT_NAME'),
    resyncSeconds: Number(env['RESYNC_SECONDS'] || '60'),
    optInAnnotation: env['OPT_IN_ANNOTATION'] || undefined,
  };
  if (!Number.isInteger(settings.resyncSeconds) || settings.resyncSeconds < 5)
    problems.push(
      `RESYNC_SECONDS must be a whole number of seconds, at least 5 (got ${JSON.stringify(env['RESYNC_SECONDS'])})`,
    );
  if (problems.length) throw new Error(`invalid configuration: ${problems.join('; ')}`);
  return settings;
}
