import { randomInt } from 'node:crypto';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { run } from './exec';
import type { KubeObject } from './kube';
import { record } from './transcript';

export const workspaceRoot = resolve(__dirname, '../../..');
export const manifestsDir = join(workspaceRoot, 'dist/k8s-manifests');
const releaseModule = join(workspaceRoot, 'terraform/modules/release');

/** What terraform/modules/release computes for an environment: the inputs of the root module's helm_release. */
export interface Release {
  env: string;
  release_name: string;
  release_namespace: string;
  namespace: string;
  chart_path: string;
  secret_keys: string[];
  helm_values: { image: { repository: string; tag: string } };
  service_name: string;
  node_port: number;
  enable_monitoring: boolean;
}

/** Scratch space of this run (Terraform working copies, Helm's home, values files); removed by cleanup(). */
const scratch = mkdtempSync(join(tmpdir(), 'shipyard-integration-'));

export function cleanup(): void {
  rmSync(scratch, { recursive: true, force: true });
}

const helmEnv: NodeJS.ProcessEnv = {
  ...process.env,
  HELM_CONFIG_HOME: join(scratch, 'helm/config'),
  HELM_CACHE_HOME: join(scratch, 'helm/cache'),
  HELM_DATA_HOME: join(scratch, 'helm/data'),
};

/**
 * Applies the provider-free module offline, in a copy (nothing is written into the repository), with an empty
 * Terraform CLI config, and returns its outputs. `vars` are further module inputs (e.g. image_repository).
 */
export async function computeRelease(
  env: string,
  vars: Record<string, string> = {},
): Promise<Release> {
  const work = mkdtempSync(join(scratch, `terraform-${env}-`));
  const module = join(work, 'release');
  cpSync(releaseModule, module, { recursive: true, filter: (src) => !src.includes('.terraform') });
  const cliConfig = join(work, 'terraformrc');
  writeFileSync(cliConfig, 'disable_checkpoint = true\n');
  const tfEnv = {
    ...process.env,
    TF_CLI_CONFIG_FILE: cliConfig,
    CHECKPOINT_DISABLE: '1',
    TF_IN_AUTOMATION: '1',
    TF_INPUT: '0',
  };
  const tf = (...args: string[]) =>
    run('terraform', [`-chdir=${module}`, ...args], { timeoutMs: 60_000, env: tfEnv });
  await tf('init', '-input=false', '-no-color');
  await tf(
    'apply',
    '-auto-approve',
    '-input=false',
    '-no-color',
    `-var=env=${env}`,
    `-var=manifests_dir=${manifestsDir}`,
    ...Object.entries(vars).map(([name, value]) => `-var=${name}=${value}`),
  );
  const { stdout } = await tf('output', '-json', '-no-color');
  const outputs = JSON.parse(stdout) as Record<string, { value: unknown }>;
  const value = <T>(name: keyof Release): T => {
    if (!(name in outputs)) throw new Error(`terraform/modules/release has no output "${name}"`);
    return outputs[name].value as T;
  };
  return {
    env,
    release_name: value('release_name'),
    release_namespace: value('release_namespace'),
    namespace: value('namespace'),
    chart_path: value('chart_path'),
    secret_keys: value('secret_keys'),
    helm_values: value('helm_values'),
    service_name: value('service_name'),
    node_port: value('node_port'),
    enable_monitoring: value('enable_monitoring'),
  };
}

/**
 * One value per key, like the root module's random_password: 32 characters, at least 4 lower, upper and digits,
 * and its special characters, so the chart's quoting is exercised with them.
 */
export function generateSecrets(keys: readonly string[]): Record<string, string> {
  const lower = 'abcdefghijklmnopqrstuvwxyz';
  const upper = lower.toUpperCase();
  const digits = '0123456789';
  const alphabet = `${lower}${upper}${digits}!#%*()-_+:?`;
  const count = (s: string, set: string) => [...s].filter((c) => set.includes(c)).length;
  const one = (): string => {
    for (;;) {
      const s = Array.from({ length: 32 }, () => alphabet[randomInt(alphabet.length)]).join('');
      if (count(s, lower) >= 4 && count(s, upper) >= 4 && count(s, digits) >= 4) return s;
    }
  };
  return Object.fromEntries(keys.map((key) => [key, one()]));
}

/**
 * `helm upgrade --install` as the root module's helm_release does it: non-secret values from the module, the
 * secrets as string values (set_sensitive), atomic, wait, cleanup on fail, a timeout. The secrets go in a 0600
 * values file rather than on the command line, where any local user could read them from /proc.
 */
export async function helmInstall(
  release: Release,
  secrets: Record<string, string>,
): Promise<string> {
  const values = join(scratch, `${release.release_name}-values.json`);
  const secretValues = join(scratch, `${release.release_name}-secrets.json`);
  writeFileSync(values, JSON.stringify(release.helm_values));
  writeFileSync(secretValues, JSON.stringify({ secrets }), { mode: 0o600 });
  try {
    const { stdout, stderr } = await run(
      'helm',
      [
        'upgrade',
        '--install',
        release.release_name,
        release.chart_path,
        '--namespace',
        release.release_namespace,
        '--values',
        values,
        '--values',
        secretValues,
        '--atomic',
        '--cleanup-on-fail',
        '--wait',
        '--timeout',
        '180s',
        '--history-max',
        '10',
      ],
      { timeoutMs: 200_000, env: helmEnv },
    );
    return `${stdout}\n${stderr}`;
  } finally {
    rmSync(secretValues, { force: true });
  }
}

/** The objects Helm rendered and applied for the release (`helm get manifest`). */
export async function helmManifest(release: Release): Promise<KubeObject[]> {
  const { stdout } = await run(
    'helm',
    ['get', 'manifest', release.release_name, '--namespace', release.release_namespace],
    { timeoutMs: 30_000, env: helmEnv, unrecorded: true },
  );
  const objects = parseAllDocuments(stdout)
    .map((doc) => doc.toJS() as KubeObject | null)
    .filter((obj): obj is KubeObject => !!obj && !!obj.kind);
  // The rendered Secret holds the values by design; everything else goes into the transcript (and is searched).
  record(
    `helm get manifest ${release.release_name}, Secrets left out`,
    JSON.stringify(objects.filter((o) => o.kind !== 'Secret')),
  );
  return objects;
}

export async function helmReleases(namespace: string): Promise<string[]> {
  const { stdout } = await run(
    'helm',
    ['list', '--all', '--namespace', namespace, '--output', 'json'],
    {
      timeoutMs: 30_000,
      env: helmEnv,
    },
  );
  return (JSON.parse(stdout) as { name: string }[]).map((r) => r.name);
}

export async function helmUninstall(release: Release): Promise<void> {
  await run(
    'helm',
    [
      'uninstall',
      release.release_name,
      '--namespace',
      release.release_namespace,
      '--wait',
      '--timeout',
      '120s',
    ],
    { timeoutMs: 140_000, env: helmEnv },
  );
}
