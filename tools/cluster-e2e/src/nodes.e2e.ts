/**
 * The chart's pods on real nodes: each environment's chart, installed with the release terraform/modules/release
 * computes and the image built from apps/api/Dockerfile, on two kubelets with their own containerd, behind a real
 * kube-proxy. Run through `npx nx run cluster-e2e:e2e-nodes` (tools/cluster-e2e/run.sh --real-nodes), which builds
 * the image, starts the cluster in a network namespace of its own, runs this suite inside that namespace and
 * always tears everything down.
 *
 * The steps of one environment run in order (Jest runs a file's tests sequentially).
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type AppEnv } from '@shipyard/config';
import { eventually, sleep } from '@shipyard/testing';
import { run } from './exec';
import { Kube, type KubeList, type KubeObject } from './kube';
import { cleanup } from './release';
import { AppOnNodes, describeEvents, isReady, type KubeEvent } from './nodes/app';
import { realCluster } from './nodes/cluster';
import { statusOf } from './nodes/http';

const cluster = realCluster();
const kube = Kube.fromKubeconfig(cluster.kubeconfig);

afterAll(() => {
  kube.close();
  cleanup();
});

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** Labels of the values (plain or base64) that occur in `text`; never the values. */
function leaks(text: string, secrets: Record<string, string>, where: string): string[] {
  const found: string[] = [];
  for (const [key, value] of Object.entries(secrets)) {
    if (text.includes(value)) found.push(`${key} in ${where}`);
    if (text.includes(Buffer.from(value).toString('base64')))
      found.push(`${key} (base64) in ${where}`);
  }
  return found;
}

/** Every file under `dir` (the nodes' agent logs, the pods' log files), as text. */
function filesUnder(dir: string): { path: string; text: string }[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((name) => join(dir, name))
    .filter((path) => statSync(path).isFile())
    .map((path) => ({ path, text: readFileSync(path, 'utf8') }));
}

/** The pause the chart's preStop hook asks for: `<node> -e "setTimeout(() => {}, <ms>)"`. */
function preStopPauseMs(app: AppOnNodes): number {
  const command: string[] =
    app.one('Deployment').spec.template.spec.containers[0].lifecycle?.preStop?.exec?.command ?? [];
  const ms = Number(/setTimeout\([^,]*,\s*(\d+)\)/.exec(command.join(' '))?.[1]);
  if (!Number.isFinite(ms))
    throw new Error(`the container has no pausing preStop hook: ${JSON.stringify(command)}`);
  return ms;
}

function describeEnvironment(env: AppEnv): void {
  describe(`${env}: the chart on real nodes, image built from apps/api/Dockerfile`, () => {
    let app: AppOnNodes;

    beforeAll(async () => {
      app = await AppOnNodes.install(kube, cluster, env);
    }, 300_000);

    afterAll(async () => {
      // Through the API, so kubelet stops the pods and CNI releases their network (teardown does it otherwise).
      await app?.uninstall();
    }, 180_000);

    it('becomes Ready through the real startup and readiness probes; the NodePort answers 200 on every node', async () => {
      const pods = await app.waitSettled('the pods to be Ready', 120_000);
      const image = `${cluster.image.repository}:${cluster.image.tag}`;
      for (const pod of pods) {
        const [status] = pod.status.containerStatuses;
        expect(status).toMatchObject({ image, ready: true, started: true, restartCount: 0 });
        expect(status.state.running).toBeDefined();
        // The pod IP is routable in the cluster's namespace: the probes' endpoints answer there as to kubelet.
        const management = app.port('management');
        expect(await statusOf(pod.status.podIP, management, '/readyz')).toBe(200);
        expect(await statusOf(pod.status.podIP, management, '/healthz')).toBe(200);
      }
      if (app.minReplicas >= 2) {
        expect(new Set(pods.map((p) => p.spec.nodeName)).size).toBe(
          Math.min(app.minReplicas, cluster.nodes.length),
        );
      }
      // Every node address serves the NodePort, whether a pod of the app runs there or not (kube-proxy).
      const answers: string[] = [];
      for (const node of cluster.nodes) {
        for (let i = 0; i < 10; i++) {
          const res = await app.viaNodePort(node.ip, '/');
          answers.push(`${node.name} ${res.status}`);
          expect(res.status).toBe(200);
          expect(JSON.parse(res.body)).toMatchObject({ environment: env });
        }
      }
      console.log(
        `${env}: ${answers.length} requests through NodePort ${app.release.node_port}, all 200`,
      );
    }, 150_000);

    it('runs as uid 65532 on a read-only root: a write outside /tmp fails with EROFS, /tmp is writable', async () => {
      const [pod] = await app.readyPods();
      const result = await app.node<Record<string, string | number>>(
        pod.metadata.name,
        `const fs = require('node:fs');
         const r = { uid: process.getuid(), gid: process.getgid(),
           pid1: /^Uid:\\s+(\\d+)/m.exec(fs.readFileSync('/proc/1/status', 'utf8'))[1] };
         for (const p of ['/home/nonroot/probe', '/app/probe', '/probe', '/tmp/probe']) {
           try { fs.writeFileSync(p, 'x'); fs.unlinkSync(p); r[p] = 'written'; } catch (e) { r[p] = e.code; }
         }
         process.stdout.write(JSON.stringify(r));`,
      );
      expect({ uid: result['uid'], gid: result['gid'], pid1: result['pid1'] }).toEqual({
        uid: 65532,
        gid: 65532,
        pid1: '65532',
      });
      // /home/nonroot belongs to the user: only a read-only root refuses the write there.
      expect({
        '/home/nonroot/probe': result['/home/nonroot/probe'],
        '/app/probe': result['/app/probe'],
        '/probe': result['/probe'],
      }).toEqual({ '/home/nonroot/probe': 'EROFS', '/app/probe': 'EROFS', '/probe': 'EROFS' });
      expect(result['/tmp/probe']).toBe('written');
    }, 60_000);

    it("hands the Secret's values to the process; none appears in an event, a log or kubectl describe", async () => {
      const keys = app.release.secret_keys;
      // /config tells where each secret came from: the environment (the Secret), not generated at start-up.
      const config = JSON.parse((await app.viaNodePort(cluster.nodes[0].ip, '/config')).body);
      for (const key of keys)
        expect({ [key]: config[key] }).toEqual({ [key]: { set: true, source: 'environment' } });
      // The running process (pid 1) holds exactly the generated values: compared by their sha256.
      for (const pod of await app.readyPods()) {
        const fingerprints = await app.node<Record<string, string>>(
          pod.metadata.name,
          `const env = Object.fromEntries(require('node:fs').readFileSync('/proc/1/environ', 'utf8')
             .split('\\0').filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
           const sha = (v) => require('node:crypto').createHash('sha256').update(v).digest('hex');
           process.stdout.write(JSON.stringify(Object.fromEntries(${JSON.stringify(keys)}.map((k) => [k, env[k] === undefined ? 'unset' : sha(env[k])]))));`,
        );
        expect(fingerprints).toEqual(
          Object.fromEntries(keys.map((k) => [k, sha256(app.secrets[k])])),
        );
      }
      const found: string[] = [];
      const events = await kube.get<KubeList>('/api/v1/events');
      found.push(...leaks(JSON.stringify(events), app.secrets, 'the events of the cluster'));
      found.push(...leaks(await app.containerLogs(), app.secrets, 'the container logs'));
      const { stdout: described } = await run(
        'kubectl',
        [
          'describe',
          'pods,deployments,replicasets,services,configmaps,secrets,events',
          '-n',
          app.ns,
        ],
        { timeoutMs: 60_000 },
      );
      expect(described).toContain(app.deploymentName);
      found.push(...leaks(described, app.secrets, 'kubectl describe'));
      for (const { path, text } of [
        ...filesUnder(cluster.logsDir),
        ...filesUnder(cluster.controlPlaneLogs),
      ]) {
        found.push(...leaks(text, app.secrets, path));
      }
      expect(found).toEqual([]);
    }, 120_000);

    it('restarts a hung process through the liveness probe (SIGSTOP from the host); the pod is Ready again', async () => {
      const [pod] = await app.readyPods();
      const name = pod.metadata.name;
      const before = pod.status.containerStatuses[0].restartCount as number;
      // pid 1 of a container ignores signals sent from inside it: the host stops it.
      const pid = await app.hostPid(pod);
      const stoppedAt = Date.now();
      process.kill(pid, 'SIGSTOP');
      try {
        const restarted = await eventually(
          `${env}: the liveness probe to restart ${name}`,
          async () => {
            const now = await app.pod(name);
            const status = now.status.containerStatuses[0];
            expect(status.restartCount).toBeGreaterThan(before);
            return now;
          },
          150_000,
          1_000,
        );
        console.log(
          `${env}: hung process of ${name} restarted after ${Math.round((Date.now() - stoppedAt) / 1000)} s`,
        );
        expect(restarted.status.containerStatuses[0].lastState.terminated).toBeDefined();
        const events = (await app.events()).filter((e) => e.involvedObject.name === name);
        expect(events.map((e) => `${e.reason}: ${e.message}`).join('\n')).toMatch(
          /Unhealthy: Liveness probe failed/,
        );
      } finally {
        try {
          process.kill(pid, 'SIGCONT');
        } catch {
          // Killed and restarted: the old process is gone.
        }
      }
      await eventually(
        `${env}: ${name} Ready again`,
        async () => expect(isReady(await app.pod(name))).toBe(true),
        60_000,
        1_000,
      );
      await app.waitSettled('the Deployment to settle again', 60_000);
    }, 300_000);

    it('runs the preStop hook on deletion: readiness holds for its pause, no FailedPreStopHook', async () => {
      const pauseMs = preStopPauseMs(app);
      expect(pauseMs).toBeGreaterThanOrEqual(1_000);
      const [pod] = await app.readyPods();
      const name = pod.metadata.name;
      const ip = pod.status.podIP as string;
      const management = app.port('management');
      const http = app.port('http');
      const deletedAt = Date.now();
      const res = await kube.request('DELETE', `/api/v1/namespaces/${app.ns}/pods/${name}`);
      expect(res.status).toBe(200);
      // Until the hook's pause ends, the process has no SIGTERM: it is still ready, and it serves.
      let notReadyAfter = -1;
      let served = 0;
      while (Date.now() - deletedAt < pauseMs + 30_000) {
        if ((await statusOf(ip, http, '/')) === 200) served++;
        if ((await statusOf(ip, management, '/readyz')) !== 200) {
          notReadyAfter = Date.now() - deletedAt;
          break;
        }
        await sleep(100);
      }
      await eventually(
        `${env}: ${name} to be gone`,
        async () => expect((await app.pods()).map((p) => p.metadata.name)).not.toContain(name),
        90_000,
        1_000,
      );
      const events = (await app.events()).filter((e: KubeEvent) => e.involvedObject.name === name);
      const failed = events.filter((e) => e.reason === 'FailedPreStopHook');
      if (failed.length) {
        // The event says only that it failed; kubelet's log says why.
        const why = filesUnder(cluster.logsDir)
          .flatMap(({ text }) => text.split('\n'))
          .filter((line) => line.includes('PreStop') && line.includes(name));
        throw new Error(
          `the preStop hook failed on deletion of ${name}:\n${describeEvents(failed)}\nkubelet: ${why.join('\n') || '(nothing logged)'}`,
        );
      }
      console.log(
        `${env}: ${name} stayed ready ${notReadyAfter} ms after its deletion (preStop pause ${pauseMs} ms), served ${served} requests meanwhile`,
      );
      // A little slack for the probe's and this loop's timing.
      expect(notReadyAfter).toBeGreaterThanOrEqual(pauseMs - 500);
      expect(served).toBeGreaterThan(0);
      await app.waitSettled('a replacement pod to be Ready', 90_000);
    }, 240_000);
  });
}

describeEnvironment('dev');
describeEnvironment('prod');

// The pods are gone with their releases: nothing of them is left on the nodes.
describe('after both environments', () => {
  it('no pod of the apps is left on the nodes', async () => {
    const pods = await kube.get<KubeList<KubeObject>>('/api/v1/pods');
    expect(
      pods.items
        .map((p) => `${p.metadata.namespace}/${p.metadata.name}`)
        .filter((n) => n.startsWith('shipyard-')),
    ).toEqual([]);
  });
});
