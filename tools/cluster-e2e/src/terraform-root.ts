import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { parse } from 'yaml';
import { run } from './exec';
import { record } from './transcript';
import { manifestsDir, workspaceRoot } from './release';

/**
 * The terraform/ root module with its real providers, in a copy: init, workspaces, apply, plan and destroy
 * run there, so no state, `.terraform` or lock file is ever written into the checkout.
 */
export class TerraformRoot {
  readonly dir: string;
  private readonly scratch: string;
  private readonly env: NodeJS.ProcessEnv;

  constructor(private readonly kubeconfig: string) {
    this.scratch = mkdtempSync(join(tmpdir(), 'shipyard-terraform-'));
    this.dir = join(this.scratch, 'terraform');
    const source = join(workspaceRoot, 'terraform');
    // Only the configuration: no state, data dir or lock file of a laptop run, and not the separate aws root.
    const skip =
      /^(aws|\.terraform|terraform\.tfstate\.d)$|\.tfstate(\..*)?$|^\.terraform\.lock\.hcl$/;
    cpSync(source, this.dir, {
      recursive: true,
      filter: (src) =>
        !relative(source, src)
          .split(sep)
          .some((part) => skip.test(part)),
    });
    this.env = {
      ...process.env,
      TF_CLI_CONFIG_FILE: join(this.scratch, 'terraformrc'),
      TF_IN_AUTOMATION: '1',
      TF_INPUT: '0',
      CHECKPOINT_DISABLE: '1',
      // The helm provider reads Helm's home like the CLI does: keep it out of the user's.
      HELM_CONFIG_HOME: join(this.scratch, 'helm/config'),
      HELM_CACHE_HOME: join(this.scratch, 'helm/cache'),
      HELM_DATA_HOME: join(this.scratch, 'helm/data'),
    };
  }

  /** The kubeconfig's current context: the provider is given path and context explicitly. */
  get kubeContext(): string {
    return parse(readFileSync(this.kubeconfig, 'utf8'))['current-context'];
  }

  /** Registry, or the mirrors named by SHIPYARD_TF_PROVIDER_*; fails naming both ways when neither is there. */
  async writeCliConfig(): Promise<void> {
    await run(
      join(workspaceRoot, 'tools/toolchain/terraform-cli-config.sh'),
      [this.env['TF_CLI_CONFIG_FILE'] as string],
      { timeoutMs: 900_000, env: this.env },
    );
  }

  /** `terraform <args>` in the copy; throws on a non-zero exit (so `plan -detailed-exitcode` with changes fails). */
  async tf(args: string[], timeoutMs: number, unrecorded = false): Promise<string> {
    return (await run('terraform', args, { timeoutMs, env: this.env, cwd: this.dir, unrecorded }))
      .stdout;
  }

  /** Like tf(), but returns exit code and output instead of throwing (for the refusals). */
  tfStatus(args: string[], timeoutMs: number): Promise<{ code: number; output: string }> {
    return new Promise((resolve) => {
      execFile(
        'terraform',
        args,
        { timeout: timeoutMs, killSignal: 'SIGKILL', env: this.env, cwd: this.dir },
        (error, stdout, stderr) => {
          const output = `${stdout}\n${stderr}`;
          record(`$ terraform ${args.join(' ')}`, output);
          resolve({ code: error ? Number(error.code ?? -1) : 0, output });
        },
      );
    });
  }

  /** Variables of one environment's deploy into the test cluster. */
  vars(env: string, extra: Record<string, string> = {}): string[] {
    const all: Record<string, string> = {
      env,
      manifests_dir: manifestsDir,
      kubeconfig_path: this.kubeconfig,
      kube_context: this.kubeContext,
      helm_timeout_seconds: '180',
      ...extra,
    };
    return Object.entries(all).map(([name, value]) => `-var=${name}=${value}`);
  }

  /** The state's serial, which every write of the state increments. */
  async stateSerial(): Promise<number> {
    return (JSON.parse(await this.tf(['state', 'pull'], 30_000, true)) as { serial: number })
      .serial;
  }

  /** The generated secret values, read from the state (never recorded). */
  async secretValues(): Promise<Record<string, string>> {
    const state = JSON.parse(await this.tf(['state', 'pull'], 30_000, true)) as {
      resources: {
        type: string;
        instances: { index_key?: string; attributes: { result: string } }[];
      }[];
    };
    const values: Record<string, string> = {};
    for (const resource of state.resources.filter((r) => r.type === 'random_password'))
      for (const instance of resource.instances)
        values[String(instance.index_key)] = instance.attributes.result;
    return values;
  }

  /** Resources in the selected workspace's state; none when it has no state yet. */
  async stateList(): Promise<string[]> {
    const { code, output } = await this.tfStatus(['state', 'list', '-no-color'], 30_000);
    if (code !== 0 && output.includes('No state file was found')) return [];
    if (code !== 0) throw new Error(`terraform state list: exit ${code}\n${output}`);
    return output.split('\n').filter((line) => line.trim() !== '');
  }

  cleanup(): void {
    rmSync(this.scratch, { recursive: true, force: true });
  }
}

/** Seconds since `start` (from performance.now()), one decimal. */
export const secondsSince = (start: number): number =>
  Math.round((performance.now() - start) / 100) / 10;
