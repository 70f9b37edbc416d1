/**
 * Second entry point of the API image (dist/apps/api/secret-restarter.js): a small controller that rolls the
 * API's Deployment when its synced Secret changes (see restarter.ts). Deployed by the prod chart when secrets
 * come from AWS Secrets Manager through External Secrets Operator (libs/k8s-manifests/src/lib/secret-restarter.ts).
 *
 *   WATCH_NAMESPACE, SECRET_NAME, DEPLOYMENT_NAME   required
 *   RESYNC_SECONDS       full re-check period (default 60)
 *   OPT_IN_ANNOTATION    roll the Deployment only if this annotation of it names the Secret (unset: always)
 *
 * Credentials: in a pod, its ServiceAccount token; elsewhere KUBECONFIG (what @kubernetes/client-node's
 * loadFromDefault finds). It logs JSON lines and never a secret value nor anything derived from one.
 */
import {
  AppsV1Api,
  CoreV1Api,
  KubeConfig,
  ListWatch,
  PatchStrategy,
  setHeaderOptions,
  type V1Secret,
  Watch,
} from '@kubernetes/client-node';
import { decide, type RestarterSettings, secretDataDigest, settingsFromEnv } from './restarter';

function log(level: string, msg: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(
    `${JSON.stringify({ level, time: new Date().toISOString(), msg, ...fields })}\n`,
  );
}

/** An error's status and message only: an API error's body could be long, and is never needed here. */
function describe(err: unknown): string {
  const e = err as { code?: unknown; message?: string };
  return `${typeof e.code === 'number' ? `HTTP ${e.code}: ` : ''}${String(e.message ?? err)
    .split('\n')[0]
    .slice(0, 300)}`;
}

function run(settings: RestarterSettings): void {
  const { namespace, secretName, deploymentName } = settings;
  const kc = new KubeConfig();
  kc.loadFromDefault();
  const core = kc.makeApiClient(CoreV1Api);
  const apps = kc.makeApiClient(AppsV1Api);
  const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
  const target = { namespace, secret: secretName, deployment: deploymentName };

  async function reconcile(secret: V1Secret | undefined, trigger: string): Promise<void> {
    if (!secret) {
      try {
        secret = await core.readNamespacedSecret({ name: secretName, namespace });
      } catch (err) {
        if ((err as { code?: number }).code === 404) {
          log('warn', 'the secret does not exist (yet): nothing to compare', {
            ...target,
            trigger,
          });
          return;
        }
        throw err;
      }
    }
    const deployment = await apps.readNamespacedDeployment({ name: deploymentName, namespace });
    const optIn = settings.optInAnnotation
      ? { annotation: settings.optInAnnotation, secretName }
      : undefined;
    const decision = decide(
      secretDataDigest(secret.data),
      deployment.metadata?.annotations,
      new Date(),
      optIn,
    );
    if (decision.action === 'none') return;
    if (decision.action === 'refuse') {
      log('error', `not rolling the deployment: ${decision.reason}`, { ...target, trigger });
      return;
    }
    await apps.patchNamespacedDeployment(
      { name: deploymentName, namespace, body: decision.patch },
      mergePatch,
    );
    log(
      'info',
      decision.action === 'restart'
        ? 'the secret changed: rolling the deployment'
        : 'recorded the secret data the deployment runs with',
      { ...target, trigger },
    );
  }

  // One reconcile at a time, in event order.
  let queue = Promise.resolve();
  const enqueue = (secret: V1Secret | undefined, trigger: string): void => {
    queue = queue
      .then(() => reconcile(secret, trigger))
      .catch((err) =>
        log('error', 'reconcile failed', { ...target, trigger, error: describe(err) }),
      );
  };

  // Watching one Secret by name (field selector): allowed by a Role limited to that name.
  const fieldSelector = `metadata.name=${secretName}`;
  const informer = new ListWatch<V1Secret>(
    `/api/v1/namespaces/${namespace}/secrets`,
    new Watch(kc),
    () => core.listNamespacedSecret({ namespace, fieldSelector }),
    false,
    undefined,
    fieldSelector,
  );
  let stopping = false;
  const start = (): void => {
    informer.start().catch((err) => restartLater(err));
  };
  const restartLater = (err: unknown): void => {
    if (stopping) return;
    log('warn', 'watch failed: starting it again in 5 s', { ...target, error: describe(err) });
    setTimeout(start, 5_000).unref();
  };
  informer.on('add', (secret) => enqueue(secret, 'added'));
  informer.on('update', (secret) => enqueue(secret, 'updated'));
  informer.on('delete', () => log('warn', 'the secret was deleted', target));
  informer.on('error', restartLater);
  start();
  const resync = setInterval(() => enqueue(undefined, 'resync'), settings.resyncSeconds * 1000);
  log('info', 'watching the secret', { ...target, resyncSeconds: settings.resyncSeconds });

  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log('info', `${signal}: stopping`, target);
    clearInterval(resync);
    void informer.stop();
    void queue.finally(() => process.exit(0));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

try {
  run(settingsFromEnv(process.env));
} catch (err) {
  log('fatal', describe(err));
  process.exit(1);
}
