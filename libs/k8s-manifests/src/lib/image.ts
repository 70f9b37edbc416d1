import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/** The image's definition: the one place its user and its node binary are written. */
const dockerfile = resolve(__dirname, '../../../../apps/api/Dockerfile');

/** The last match: the final stage's last instruction of a kind is the one the image keeps (the runtime stage
 * may switch to root to lay down its files, then back to the service's user). */
function instruction(pattern: RegExp, what: string, path: string): RegExpMatchArray {
  const match = [...readFileSync(path, 'utf8').matchAll(pattern)].at(-1);
  if (!match) throw new Error(`${path} has no ${what}`);
  return match;
}

/** The numeric uid the image runs as: its Dockerfile's last `USER uid:gid`. */
export function imageUser(path = dockerfile): number {
  const match = instruction(
    /^USER\s+(\d+)(?::\d+)?\s*$/gm,
    "numeric `USER uid:gid` line: Kubernetes' runAsNonRoot can only verify a numeric user",
    path,
  );
  return Number(match[1]);
}

/**
 * The node binary of the image: its exec-form `ENTRYPOINT ["/abs/path/node"]`. The runtime image has no shell
 * and node is on no PATH there, so an exec hook (preStop) must name it by this absolute path.
 */
export function imageNode(path = dockerfile): string {
  const match = instruction(
    /^ENTRYPOINT\s+\["(\/[^"]+)"\]\s*$/gm,
    'exec-form `ENTRYPOINT ["/absolute/path/to/node"]` line',
    path,
  );
  return match[1];
}
