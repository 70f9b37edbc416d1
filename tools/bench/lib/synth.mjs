// Synth timings: `npx nx run k8s-manifests:synth` cold and cached, and the synth process alone.
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nxEnv, progress, round, run } from './proc.mjs';

export async function synth() {
  progress.say('synth: looking for k8s-manifests:synth');
  const show = await run('npx', ['nx', 'show', 'project', 'k8s-manifests', '--json'], {
    env: nxEnv(),
    allowFail: true,
  });
  let targets = {};
  try {
    targets = JSON.parse(show.out.slice(show.out.indexOf('{'))).targets ?? {};
  } catch {
    /* project missing or unreadable */
  }
  if (!targets.synth) return { available: false, note: 'n/a (target missing)' };
  const once = async (label, extra) => {
    progress.say(`synth: ${label}`);
    const r = await run('npx', ['nx', 'run', 'k8s-manifests:synth', ...extra], {
      env: nxEnv(),
      allowFail: true,
    });
    return {
      command: `npx nx run k8s-manifests:synth ${extra.join(' ')}`.trim(),
      ok: r.code === 0,
      s: round(r.ms / 1000, 2),
      fromCache:
        /read the output from the cache|existing outputs match the cache|\[local cache\]/i.test(
          r.out,
        ),
      ...(r.code === 0 ? {} : { error: r.out.slice(-1500) }),
    };
  };
  // One environment at a time first, so that dist/ ends as a full synth leaves it.
  const dev = await once('dev, cold', ['--env=dev', '--skip-nx-cache']);
  const prod = await once('prod, cold', ['--env=prod', '--skip-nx-cache']);
  const cold = await once('both environments, cold (--skip-nx-cache)', ['--skip-nx-cache']);
  let cached = await once('both environments, cached', []);
  if (cached.ok && !cached.fromCache)
    cached = await once('both environments, cached (2nd try)', []);
  // What any nx command costs here before a task runs: read cold and cached figures against it.
  const nxStartupS = round(show.ms / 1000, 2);
  // The synth process itself, exactly what the target runs, without Nx: median of 3 fresh processes.
  const direct = [];
  for (let i = 1; i <= 3; i++) {
    progress.say(`synth: both environments, the process alone ${i}/3`);
    const out = join(tmpdir(), `bench-synth-${process.pid}-${i}`);
    const r = await run(
      process.execPath,
      ['-r', '@swc-node/register', 'libs/k8s-manifests/src/synth.ts', `--out=${out}`],
      { env: { ...process.env, SWC_NODE_PROJECT: 'tsconfig.base.json' }, allowFail: true },
    );
    rmSync(out, { recursive: true, force: true });
    direct.push({ ok: r.code === 0, s: round(r.ms / 1000, 2) });
  }
  direct.sort((a, b) => a.s - b.s);
  return {
    available: true,
    direct: direct[1],
    cold,
    cached,
    perEnvCold: { dev, prod },
    nxStartupS,
  };
}
