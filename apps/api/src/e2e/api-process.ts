import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { type Agent, get as httpGet } from 'node:http';
import { join } from 'node:path';
import { bundleNode, stageBundle } from './bundle-node';

/** The production bundle, exactly what the image runs, with its code cache, staged once per test file. */
let staged: string | undefined;

/** For beforeAll: stages the bundle built by `nx build api` (see stageBundle). */
export function requireBundle(): void {
  staged ??= stageBundle();
}

/** For afterAll: removes the staged copy. */
export function releaseBundle(): void {
  if (staged) rmSync(staged, { recursive: true, force: true });
  staged = undefined;
}

export interface Exited {
  code: number | null;
  output: string;
}

/** Starts the bundle on the image's Node.js, on loopback, with only PATH and the given variables. */
export function launch(env: Record<string, string>) {
  if (!staged) throw new Error('call requireBundle() in beforeAll before launch()');
  const child = spawn(bundleNode, [join(staged, 'main.js')], {
    env: { PATH: process.env['PATH'] ?? '', HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  const exited = new Promise<Exited>((resolve) =>
    child.on('exit', (code) => resolve({ code, output })),
  );
  return { child, exited, output: () => output };
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
}

export function answer(url: string, agent?: Agent | false, timeoutMs = 0): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = httpGet(url, { agent, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
    });
    request.on('timeout', () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    request.on('error', reject);
  });
}

export async function status(url: string, agent?: Agent | false, timeoutMs = 0): Promise<number> {
  return (await answer(url, agent, timeoutMs)).status;
}

export async function waitUntilReady(url: string, child: ChildProcess): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    if (child.exitCode !== null) throw new Error('the API exited before becoming ready');
    if ((await status(`${url}/readyz`).catch(() => 0)) === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error('the API did not become ready within 5 s');
}
