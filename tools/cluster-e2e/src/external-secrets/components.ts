import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { eventually, freePort, type Started, start, stop } from '@shipyard/testing';
import { run } from '../exec';
import { workspaceRoot } from '../release';

/**
 * The processes this suite runs next to the cluster: moto (a local AWS API), External Secrets Operator's
 * controller and the secret restarter. Each writes its log into the cluster's component log directory, which the
 * leak scan reads and the cluster's teardown removes. They live in the suite's process group, which the cluster
 * wrapper stops, so they go even if Jest is killed before its afterAll.
 */

/** bin directory of a toolchain tool (built by run.sh before the cluster starts). */
export async function toolPath(tool: string): Promise<string> {
  const { stdout } = await run(
    join(workspaceRoot, 'tools/toolchain/ensure.sh'),
    ['--paths', tool],
    {
      timeoutMs: 30_000,
    },
  );
  return stdout.trim();
}

export interface Component {
  name: string;
  started: Started;
  log: WriteStream;
}

const running: Component[] = [];

/** Starts a process with its output appended to <logDir>/<name>.log. */
export function startComponent(
  name: string,
  logDir: string,
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Component {
  mkdirSync(logDir, { recursive: true });
  const log = createWriteStream(join(logDir, `${name}.log`), { flags: 'a' });
  const started = start(command, args, { env, cwd: workspaceRoot });
  started.child.stdout?.pipe(log, { end: false });
  started.child.stderr?.pipe(log, { end: false });
  const component = { name, started, log };
  running.push(component);
  return component;
}

/** Fails with the component's name and the end of its log if it has exited. */
export function expectRunning(component: Component): void {
  const { child } = component.started;
  if (child.exitCode !== null || child.signalCode !== null) {
    throw new Error(
      `${component.name} exited (${child.exitCode ?? child.signalCode}): ${component.started.output().slice(-2000)}`,
    );
  }
}

export async function stopComponent(component: Component): Promise<void> {
  await stop(component.started, 'SIGTERM', 10_000);
  await new Promise<void>((resolve) => component.log.end(resolve));
  running.splice(running.indexOf(component), 1);
}

export async function stopAll(): Promise<void> {
  for (const component of [...running].reverse()) await stopComponent(component);
}

/** moto_server on a free loopback port; resolves once it answers. */
export async function startMoto(
  logDir: string,
): Promise<{ component: Component; endpoint: string }> {
  const bin = await toolPath('pytools');
  const port = await freePort();
  const component = startComponent(
    'moto',
    logDir,
    join(bin, 'moto_server'),
    ['-H', '127.0.0.1', '-p', String(port)],
    { PATH: process.env['PATH'] },
  );
  const endpoint = `http://127.0.0.1:${port}`;
  await eventually(
    'moto_server to answer',
    async () => {
      expectRunning(component);
      const res = await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(2_000) });
      expect(res.status).toBe(200);
    },
    60_000,
  );
  return { component, endpoint };
}
