import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { imageNode, imageUser } from './image';

describe('what the chart reads from the Dockerfile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dockerfile-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const dockerfile = (text: string) => {
    const path = join(dir, `Dockerfile.${Math.random().toString(36).slice(2)}`);
    writeFileSync(path, text);
    return path;
  };

  it('takes the user the image keeps: the last USER, after files are laid down as root', () => {
    const path = dockerfile(
      [
        'FROM build AS b',
        'FROM runtime',
        'USER 0:0',
        'COPY a /app/',
        'USER 65532:65532',
        'ENTRYPOINT ["/nodejs/bin/node"]',
      ].join('\n'),
    );
    expect(imageUser(path)).toBe(65532);
    expect(imageNode(path)).toBe('/nodejs/bin/node');
  });

  it('refuses a Dockerfile without a numeric USER, naming why', () => {
    expect(() => imageUser(dockerfile('FROM runtime\nUSER nonroot\n'))).toThrow(
      /no numeric `USER uid:gid` line: Kubernetes' runAsNonRoot can only verify a numeric user/,
    );
  });

  it('the shipped Dockerfile runs as a non-root uid', () => {
    expect(imageUser()).toBeGreaterThan(0);
  });
});
