import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';

const ensure = resolve(__dirname, '../../../../tools/toolchain/ensure.sh');

/** Node.js 22 from the toolchain cache: the image's runtime, so the production bundle is tested on it. */
function bundleNodePath(): string {
  try {
    return join(execFileSync(ensure, ['--paths', 'node22'], { encoding: 'utf8' }).trim(), 'node');
  } catch {
    throw new Error('Node.js 22 is not in the toolchain: run `tools/toolchain/ensure.sh node22` (npm test does)');
  }
}

export const bundleNode = bundleNodePath();
/** Its version, e.g. v22.23.5. */
export const bundleNodeVersion = execFileSync(bundleNode, ['--version'], { encoding: 'utf8' }).trim();
