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
import { bundleNode, bundleNodeVersion, stageBundle } from './bundle-node';
import { freePort } from '@shipyard/testing';

/** The production build: main.js (apps/api/launcher/main.cjs), app.js and the cache the build wrote. */
const dist = join(__dirname, '../../../dist/apps/api');
const REFUSED = 'app.js.cache was written by another Node.js';

let dir: string;
/** The cache for bundleNode, written by it as the image's build step does. */
let ownCache: Buffer;

beforeAll(() => {
  if (!existsSync(join(dist, 'app.js.cache')))
    throw new Error(`${dist}/app.js.cache is missing: run \`npx nx build api\` first`);
  const staged = stageBundle();
  try {
    ownCache = readFileSync(join(staged, 'app.js.cache'));
  } finally {
    rmSync(staged, { recursive: true, force: true });
  }
});

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'shipyard-launcher-'));
  for (const file of ['main.js', 'app.js']) copyFileSync(join(dist, file), join(dir, file));
  writeFileSync(join(dir, 'app.js.cache'), ownCache);
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

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
  it('starts with the cache its own Node.js wrote (as the image build does), without refusing it', async () => {
    const { root, output } = await startAndServe();
    expect(root).toBe(200);
    expect(output).not.toContain(REFUSED);
  });

  // The build writes its cache with the workspace's Node.js; the image's Node.js may differ.
  const otherNode = process.version !== bundleNodeVersion;
  (otherNode ? it : it.skip)(
    "given the cache of the build's Node.js (another version): refuses it once and serves",
    async () => {
      copyFileSync(join(dist, 'app.js.cache'), join(dir, 'app.js.cache'));
      const { root, output } = await startAndServe();
      expect(root).toBe(200);
      expect(output.split('\n').filter((line) => line.includes(REFUSED))).toHaveLength(1);
    },
  );

  it('given a cache it cannot use: says so once, naming the fix, and serves anyway', async () => {
    writeFileSync(join(dir, 'app.js.cache'), 'not a V8 code cache');
    const { root, output } = await startAndServe();
    expect(root).toBe(200);
    const refusals = output.split('\n').filter((line) => line.includes(REFUSED));
    expect(refusals).toHaveLength(1);
    expect(JSON.parse(refusals[0])).toMatchObject({ level: 'warn', node: bundleNodeVersion });
    expect(refusals[0]).toContain('main.js --write-code-cache');
  });

  it('without a cache: starts and serves, and says nothing about it', async () => {
    rmSync(join(dir, 'app.js.cache'));
    const { root, output } = await startAndServe();
    expect(root).toBe(200);
    expect(output).not.toContain('app.js.cache');
  });
});

describe('main.js --write-code-cache', () => {
  it('writes a cache that the next process uses, with no value of its run in it', () => {
    rmSync(join(dir, 'app.js.cache'));
    const secret = 'launcher-spec-secret-0123456789';
    const run = spawnSync(bundleNode, [join(dir, 'main.js'), '--write-code-cache'], {
      env: { PATH: process.env['PATH'] ?? '', SECRET_KEY: secret, DB_PASSWORD: secret },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('wrote ');
    const cache = readFileSync(join(dir, 'app.js.cache'));
    expect(cache.length).toBeGreaterThan(100_000);
    expect(cache.includes(secret)).toBe(false);
    // Written beside and renamed: nothing partial is left.
    expect(readdirSync(dir).sort()).toEqual(['app.js', 'app.js.cache', 'main.js']);
  });

  it('then the app starts with it', async () => {
    rmSync(join(dir, 'app.js.cache'));
    const run = spawnSync(bundleNode, [join(dir, 'main.js'), '--write-code-cache'], {
      env: { PATH: process.env['PATH'] ?? '' },
      timeout: 60_000,
    });
    expect(run.status).toBe(0);
    const { root, output } = await startAndServe();
    expect(root).toBe(200);
    expect(output).not.toContain(REFUSED);
  });

  it('fails with the reason when the app cannot start, and leaves no cache behind', () => {
    rmSync(join(dir, 'app.js.cache'));
    writeFileSync(join(dir, 'app.js'), 'throw new Error("broken bundle")');
    const run = spawnSync(bundleNode, [join(dir, 'main.js'), '--write-code-cache'], {
      env: { PATH: process.env['PATH'] ?? '' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status).not.toBe(0);
    expect(run.stdout + run.stderr).toContain('broken bundle');
    expect(existsSync(join(dir, 'app.js.cache'))).toBe(false);
  });
});
