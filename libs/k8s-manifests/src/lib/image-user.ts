import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

const dockerfile = resolve(__dirname, '../../../../apps/api/Dockerfile');

/** The numeric uid the image runs as: its Dockerfile's `USER`, the one place it is written. */
export function imageUser(path = dockerfile): number {
  const match = /^USER\s+(\d+)(?::(\d+))?\s*$/m.exec(readFileSync(path, 'utf8'));
  if (!match)
    throw new Error(
      `${path} has no numeric \`USER uid:gid\` line: Kubernetes' runAsNonRoot can only verify a numeric user`,
    );
  return Number(match[1]);
}
