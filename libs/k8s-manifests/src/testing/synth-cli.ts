import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const workspaceRoot = resolve(__dirname, '../../../..');

/** Runs the real synth entry point, as `nx run k8s-manifests:synth` does. */
export function runSynth(args: string[]) {
  const result = spawnSync(
    process.execPath,
    ['-r', '@swc-node/register', 'libs/k8s-manifests/src/synth.ts', ...args],
    {
      cwd: workspaceRoot,
      env: { ...process.env, SWC_NODE_PROJECT: 'tsconfig.base.json' },
      encoding: 'utf8',
    },
  );
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Synthesizes every environment into a fresh temporary directory and returns it. */
export function synthToTemp(): string {
  const out = join(mkdtempSync(join(tmpdir(), 'synth-')), 'k8s-manifests');
  const { code, stderr } = runSynth([`--out=${out}`]);
  if (code !== 0) throw new Error(`synth failed: ${stderr}`);
  return out;
}
