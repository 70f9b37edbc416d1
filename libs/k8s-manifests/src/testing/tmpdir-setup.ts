import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Jest globalSetup. cdk8s' Testing.app() makes a `cdk8s.outdir.*` directory under the temp dir for every app and
 * never removes it: dozens per run. The test processes (started after this, so they inherit TMPDIR) get a temp
 * dir of this run's own, which tmpdir-teardown.ts removes with all it holds.
 */
export default function setup(): void {
  process.env['SHIPYARD_TEST_PARENT_TMPDIR'] = tmpdir();
  process.env['TMPDIR'] = mkdtempSync(join(tmpdir(), 'shipyard-k8s-manifests-test-'));
}
