import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';

const ensure = resolve(__dirname, '../../../../tools/toolchain/ensure.sh');

/** Directory of a tool in the cached test toolchain (`tools/toolchain/ensure.sh TOOL` builds it). */
export function toolchainDir(tool: string): string {
  try {
    return execFileSync(ensure, ['--paths', tool], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error(
      `${tool} is not built: run \`tools/toolchain/ensure.sh ${tool}\` (npm test does)`,
    );
  }
}

/** Path of a binary from the cached test toolchain. */
export function toolchainBinary(tool: string, binary = tool): string {
  return join(toolchainDir(tool), binary);
}
