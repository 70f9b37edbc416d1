import { spawn, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { get as httpGet } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@shipyard/testing';
import { bundleNode, bundleNodeVersion } from './bundle-node';

/** The production build: main.js (apps/api/launcher/main.cjs) and the bundle app.js. */
const dist = join(__dirname, '../../../dist/apps/api');
const REFUSED = 'app.js.cache was written by another Node.js';

let dir: string;

beforeAll(() => {
  for (const file of ['main.js', 'app.js']) {
    if (!existsSync(join(dist, file)))
      throw new Error(`${dist}/${file} is missing: run \`npx nx build api\` first`);
  }
});

/** A copy of the build, without a code cache. */
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'shipyard-launcher-'));
  for (const file of ['main.js', 'app.js']) copyFileSync(join(dist, file), join(dir, file));
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** `main.js --write-code-cache`, by the image's Node.js (bundleNode) unless another is named. */
function writeCodeCache(env: NodeJS.ProcessEnv = {}, node = bundleNode) {
  return spawnSync(node, [join(dir, 'main.js'), '--write-code-cache'], {
    env: { PATH: process.env['PATH'] ?? '', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
}

/** V8's own verdict on the cache beside main.js: `script.cachedDataRejected` of the launcher's compile. */
function checkCodeCache(): { status: number | null; verdict: unknown } {
  const run = spawnSync(bundleNode, [join(dir, 'main.js'), '--check-code-cache'], {
    env: { PATH: process.env['PATH'] ?? '' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: run.status, verdict: JSON.parse(run.stdout.trim()).codeCache };
}

function status(url: string): Promise<number> {
  return new Promise((resolve) => {
    httpGet(url, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    }).on('error', () => resolve(0));
  });
}

/** Starts `node main.js` from `dir`, waits for /readyz, fetches /, stops it; returns what it printed. */
async function startAndServe(): Promise<{ root: number; output: string }> {
  const port = await freePort();
  const child = spawn(bundleNode, [join(dir, 'main.js')], {
    env: {
      PATH: process.env['PATH'] ?? '',
      HOST: '127.0.0.1',
      PORT: String(port),
      SHUTDOWN_DRAIN_SECONDS: '0',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise((resolve) => child.on('exit', resolve));
  try {
    const url = `http://127.0.0.1:${port}`;
    for (let attempt = 0; (await status(`${url}/readyz`)) !== 200; attempt++) {
      if (child.exitCode !== null || attempt > 400)
        throw new Error(`the API did not become ready:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    return { root: await status(`${url}/`), output };
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

describe('main.js with the code cache', () => {
  it('V8 accepts the cache its own Node.js wrote (as the image build does), and the app starts with it', async () => {
    expect(writeCodeCache().status).toBe(0);
    expect(checkCodeCache()).toEqual({ status: 0, verdict: 'accepted' });
    const { root, output } = await startAndServe();
    expect(root).toBe(200);
    expect(output).not.toContain(REFUSED);
  });

  it('given a cache it cannot use: says so once, naming the fix, and serves anyway', async () => {
    writeFileSync(join(dir, 'app.js.cache'), 'not a V8 code cache');
    expect(checkCodeCache()).toEqual({ status: 1, verdict: 'rejected' });
    const { root, output } = await startAndServe();
    expect(root).toBe(200);
    const refusals = output.split('\n').filter((line) => line.includes(REFUSED));
    expect(refusals).toHaveLength(1);
    expect(JSON.parse(refusals[0])).toMatchObject({ level: 'warn', node: bundleNodeVersion });
    expect(refusals[0]).toContain('main.js --write-code-cache');
  });

  // `nx run api:code-cache` writes its cache with the workspace's Node.js; the image's Node.js may differ.
  const otherNode = process.version !== bundleNodeVersion;
  (otherNode ? it : it.skip)(
    "given the cache of the workspace's Node.js (another version): V8 rejects it, the app says so once and serves",
    async () => {
      expect(writeCodeCache({}, process.execPath).status).toBe(0);
      expect(checkCodeCache()).toEqual({ status: 1, verdict: 'rejected' });
      const { root, output } = await startAndServe();
      expect(root).toBe(200);
      expect(output.split('\n').filter((line) => line.includes(REFUSED))).toHaveLength(1);
    },
  );

  it('without a cache: starts and serves, and says nothing about it', async () => {
    expect(checkCodeCache()).toEqual({ status: 1, verdict: 'missing' });
    const { root, output } = await startAndServe();
    expect(root).toBe(200);
    expect(output).not.toContain('app.js.cache');
  });
});

describe('main.js --write-code-cache', () => {
  it('writes the cache whole, with no value of its run in it', () => {
    const secret = 'launcher-spec-secret-0123456789';
    const run = writeCodeCache({ SECRET_KEY: secret, DB_PASSWORD: secret });
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('wrote ');
    const cache = readFileSync(join(dir, 'app.js.cache'));
    expect(cache.length).toBeGreaterThan(100_000);
    expect(cache.includes(secret)).toBe(false);
    // Written beside and renamed: nothing partial is left.
    expect(readdirSync(dir).sort()).toEqual(['app.js', 'app.js.cache', 'main.js']);
  });

  it('fails with the reason when the app cannot start, and leaves no cache behind', () => {
    writeFileSync(join(dir, 'app.js'), 'throw new Error("broken bundle")');
    const run = writeCodeCache();
    expect(run.status).not.toBe(0);
    expect(run.stdout + run.stderr).toContain('broken bundle');
    expect(existsSync(join(dir, 'app.js.cache'))).toBe(false);
  });
});
