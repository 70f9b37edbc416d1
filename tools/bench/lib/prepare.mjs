// What the bench needs before it measures: the two bundles, wrk, the Flask reference's venv (reference.mjs),
// and a description of the built artifact.
import { existsSync, lstatSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { nxEnv, progress, REPO, run, which } from './proc.mjs';
import { API_BUNDLE, FLOOR_BUNDLE, runtime } from './servers.mjs';

const FLOOR_CONFIG = join(REPO, 'tools', 'bench', 'nest-floor', 'webpack.config.cjs');

export async function ensureWrk() {
  if (await which('wrk')) return;
  progress.say('installing wrk (apt-get install -y wrk)');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  let r = await run('apt-get', ['install', '-y', '-qq', 'wrk'], { env, allowFail: true });
  if (r.code !== 0) {
    await run('apt-get', ['update', '-qq'], { env });
    r = await run('apt-get', ['install', '-y', '-qq', 'wrk'], { env, allowFail: true });
  }
  if (r.code !== 0 || !(await which('wrk')))
    throw new Error(`could not install wrk (apt-get install wrk, as root):\n${r.out.slice(-2000)}`);
}

/** The production build, as the image gets it. */
export async function buildApi() {
  progress.say('building api (npx nx build api --configuration=production)');
  const r = await run('npx', ['nx', 'build', 'api', '--configuration=production'], {
    env: nxEnv(),
  });
  if (!existsSync(API_BUNDLE))
    throw new Error(`build finished but ${relative(REPO, API_BUNDLE)} is missing`);
  return { ms: r.ms, fromCache: /from the cache|existing outputs match the cache/i.test(r.out) };
}

/** The plain NestJS reference (tools/bench/nest-floor), built with the API's bundle settings. */
export async function buildFloor() {
  progress.say('building the plain NestJS reference (tools/bench/nest-floor)');
  const r = await run('npx', ['webpack', '--config', FLOOR_CONFIG]);
  if (!existsSync(FLOOR_BUNDLE))
    throw new Error(`webpack finished but ${relative(REPO, FLOOR_BUNDLE)} is missing`);
  return { ms: r.ms };
}

/**
 * V8's code cache for each bundle, written by the Node.js that runs the servers (as api:code-cache and the image
 * do with theirs), then V8's verdict on it: a refused cache would make start-up figures meaningless.
 */
export async function writeCodeCaches() {
  for (const bundle of [API_BUNDLE, FLOOR_BUNDLE]) {
    progress.say(`writing the code cache of ${relative(REPO, bundle)}`);
    await run(runtime.node, [bundle, '--write-code-cache'], {
      env: { PATH: process.env.PATH },
    });
    await run(runtime.node, [bundle, '--check-code-cache'], {
      env: { PATH: process.env.PATH },
    });
  }
}

/** Bytes of each file the image takes from dist/apps/api. */
export function artifact() {
  const dir = join(REPO, 'dist', 'apps', 'api');
  const files = Object.fromEntries(
    readdirSync(dir)
      .filter((name) => lstatSync(join(dir, name)).isFile())
      .map((name) => [name, lstatSync(join(dir, name)).size]),
  );
  return { dir: relative(REPO, dir), files };
}
