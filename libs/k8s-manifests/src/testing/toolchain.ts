import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';

const ensure = resolve(__dirname, '../../../../tools/toolchain/ensure.sh');

/** Path of a binary from the cached test toolchain (`tools/toolchain/ensure.sh TOOL` builds it). */
export function toolchainBinary(tool: string, binary = tool): string {
  try {
    const dir = execFileSync(ensure, ['--paths', tool], { encoding: 'utf8' }).trim();
    return join(dir, binary);
  } catch {
    throw new Error(
      `${tool} is not built: run \`tools/toolchain/ensure.sh ${tool}\` (npm test does)`,
    );
  }
}
