import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ensure = resolve(__dirname, '../../../../tools/toolchain/ensure.sh');

/** Node.js 22 from the toolchain cache: the image's runtime, so the production bundle is tested on it. */
function bundleNodePath(): string {
  try {
    return join(execFileSync(ensure, ['--paths', 'node22'], { encoding: 'utf8' }).trim(), 'node');
  } catch {
    throw new Error(
      'Node.js 22 is not in the toolchain: run `tools/toolchain/ensure.sh node22` (npm test does)',
    );
  }
}

export const bundleNode = bundleNodePath();
/** Its version, e.g. v22.23.5. */
export const bundleNodeVersion = execFileSync(bundleNode, ['--version'], {
  encoding: 'utf8',
}).trim();

/**
 * Copies the production build (main.js, app.js) into a new temporary directory and writes V8's code cache
 * there with bundleNode, as the image's build step does (the build's own cache is for the workspace's
 * Node.js). Returns the directory; the caller removes it.
 */
export function stageBundle(): string {
  const dist = resolve(__dirname, '../../../../dist/apps/api');
  for (const file of ['main.js', 'app.js']) {
    if (!existsSync(join(dist, file)))
      throw new Error(`${dist}/${file} is missing: run \`npx nx build api\` first`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'shipyard-bundle-'));
  for (const file of ['main.js', 'app.js']) copyFileSync(join(dist, file), join(dir, file));
  const run = spawnSync(bundleNode, [join(dir, 'main.js'), '--write-code-cache'], {
    env: { PATH: process.env['PATH'] ?? '' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (run.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(
      `main.js --write-code-cache failed on ${bundleNodeVersion}: ${run.stdout}${run.stderr}`,
    );
  }
  return dir;
}
