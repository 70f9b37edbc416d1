import { rmSync } from 'node:fs';
import { basename } from 'node:path';

/** Jest globalTeardown: removes the temp dir tmpdir-setup.ts made, and gives TMPDIR back. */
export default function teardown(): void {
  const dir = process.env['TMPDIR'];
  if (dir && basename(dir).startsWith('shipyard-k8s-manifests-test-')) {
    rmSync(dir, { recursive: true, force: true });
  }
  process.env['TMPDIR'] = process.env['SHIPYARD_TEST_PARENT_TMPDIR'];
}
