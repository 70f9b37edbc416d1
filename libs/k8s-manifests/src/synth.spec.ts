import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { appEnvNames } from '@shipyard/config';
import { runSynth, synthToTemp, workspaceRoot } from './testing/synth-cli';

describe('synth', () => {
  let out: string;
  beforeAll(() => {
    out = synthToTemp();
  });
  afterAll(() => rmSync(join(out, '..'), { recursive: true, force: true }));

  it('writes a Helm chart and a contract per environment', () => {
    for (const env of appEnvNames) {
      expect(readdirSync(join(out, env)).sort()).toEqual([
        '.helmignore',
        'Chart.yaml',
        'contract.json',
        'templates',
        'values.schema.json',
        'values.yaml',
      ]);
    }
  });

  it('versions the chart with the API version', () => {
    const { version } = JSON.parse(
      readFileSync(join(workspaceRoot, 'apps/api/package.json'), 'utf8'),
    );
    const chart = readFileSync(join(out, 'prod/Chart.yaml'), 'utf8');
    expect(chart).toContain(`\nversion: ${version}\n`);
    expect(chart).toContain(`\nappVersion: "${version}"\n`);
  });

  it('keeps the contract out of the packaged chart', () => {
    expect(readFileSync(join(out, 'dev/.helmignore'), 'utf8')).toContain('contract.json');
  });

  it('writes only the environment asked for and prints where', () => {
    const single = join(out, '..', 'single');
    const { code, stdout } = runSynth(['--env=prod', `--out=${single}`]);
    expect(code).toBe(0);
    expect(readdirSync(single).sort()).toEqual(['environments.json', 'prod']);
    expect(stdout).toContain('single/prod');
  });

  it('refuses an unknown environment, lists the valid ones and writes nothing', () => {
    const rejected = join(out, '..', 'rejected');
    const { code, stderr } = runSynth(['--env=qa', `--out=${rejected}`]);
    expect(code).toBe(1);
    expect(stderr).toContain('unknown environment "qa"');
    expect(stderr).toContain('dev, prod');
    expect(existsSync(rejected)).toBe(false);
  });

  it('lists every environment for Terraform and leaves no staging directory behind', () => {
    expect(readdirSync(out).sort()).toEqual([...appEnvNames, 'environments.json'].sort());
    expect(JSON.parse(readFileSync(join(out, 'environments.json'), 'utf8'))).toEqual({
      environments: appEnvNames,
    });
  });
});
