/**
 * `nx run k8s-manifests:synth [--env=dev|prod]`: writes one Helm chart per environment to
 * dist/k8s-manifests/<env>/. Each chart is written to a temporary directory first and renamed into
 * place, so a failed run never leaves a half-written chart.
 */
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { type AppEnv, appEnvNames, isAppEnv } from '@shipyard/config';
import { environmentsFile, helmChartFiles } from './lib/helm-chart';

const workspaceRoot = resolve(__dirname, '../../..');
const apiPackageJson = join(workspaceRoot, 'apps/api/package.json');

function fail(message: string): never {
  console.error(`synth: ${message}`);
  process.exit(1);
}

const { values: args } = parseArgs({
  options: { env: { type: 'string' }, out: { type: 'string' } },
  strict: false,
});

function requestedEnvs(): AppEnv[] {
  const env = args['env'];
  if (env === undefined || env === '' || env === true) return [...appEnvNames];
  if (typeof env === 'string' && isAppEnv(env)) return [env];
  return fail(
    `unknown environment "${String(env)}": choose one of ${appEnvNames.join(', ')} (e.g. --env=${appEnvNames[0]}), or omit --env for all`,
  );
}

function writeChart(outDir: string, files: Record<string, string>): void {
  mkdirSync(dirname(outDir), { recursive: true });
  const staging = mkdtempSync(`${outDir}.tmp-`);
  try {
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(dirname(join(staging, path)), { recursive: true });
      writeFileSync(join(staging, path), content);
    }
    rmSync(outDir, { recursive: true, force: true });
    renameSync(staging, outDir);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    throw error;
  }
}

function main() {
  const envs = requestedEnvs();
  const outRoot =
    typeof args['out'] === 'string'
      ? resolve(args['out'])
      : join(workspaceRoot, 'dist/k8s-manifests');
  const appVersion = (JSON.parse(readFileSync(apiPackageJson, 'utf8')) as { version: string })
    .version;
  // Terraform validates `env` against this list, so the names are typed only in libs/config.
  mkdirSync(outRoot, { recursive: true });
  writeFileSync(
    join(outRoot, environmentsFile),
    `${JSON.stringify({ environments: appEnvNames })}\n`,
  );
  for (const env of envs) {
    const outDir = join(outRoot, env);
    writeChart(outDir, helmChartFiles(env, appVersion));
    const shown = outDir.startsWith(workspaceRoot) ? relative(workspaceRoot, outDir) : outDir;
    console.log(`synth: ${env} → ${shown} (Helm chart ${appVersion}, contract.json)`);
  }
}

main();
