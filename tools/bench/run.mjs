#!/usr/bin/env node
// `npm run bench`: the API against the plain NestJS app, the node:http ceiling and the Flask service it replaces,
// side by side in one run, so that the ratios hold on a noisy machine; prints the performance budget with PASS
// or MISS. Reports, never fails on a missed goal (exit 0 unless something broke). See tools/bench/README.md.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { CONNECTIONS, load, ROUTES, summarize } from './lib/load.mjs';
import { readOptions, USAGE } from './lib/options.mjs';
import { artifact, buildApi, buildFloor, ensureWrk, writeCodeCaches } from './lib/prepare.mjs';
import { die, now, progress, REPO, round, run, sleep } from './lib/proc.mjs';
import { ensureVenv, venvBin } from './lib/reference.mjs';
import { GOALS, report } from './lib/report.mjs';
import {
  API_BUNDLE,
  cpuClock,
  runtime,
  FLOOR_BUNDLE,
  rssMiB,
  SERVERS,
  startServer,
  stopServer,
} from './lib/servers.mjs';
import { spawnTimes } from './lib/startup.mjs';
import { synth } from './lib/synth.mjs';

const OUT = join(REPO, 'dist', 'bench', 'results.json');

async function machine() {
  cpuClock.ticksPerSecond =
    Number((await run('getconf', ['CLK_TCK'], { allowFail: true })).out.trim()) || 100;
  const version = async (cmd, args) => (await run(cmd, args, { allowFail: true })).out.trim();
  return {
    cpus: cpus().length,
    node: (await run(runtime.node, ['--version'], { allowFail: true })).out.trim(),
    loadavgStart: loadavg().map((x) => round(x, 2)),
    wrk: (await version('wrk', ['--version'])).match(/wrk (\S+)/)?.[1] ?? '?',
    gunicorn: await version(venvBin('gunicorn'), ['--version']),
  };
}

/** Starts every server, reads their idle memory, loads them, stops them. */
async function measureServers(S) {
  const servers = [];
  for (const name of ['api', 'nestFloor', 'ceiling', 'gunicorn', 'flask']) {
    progress.say(`starting ${name}`);
    servers.push(await startServer(name));
  }
  try {
    await sleep(1000);
    const idleMiB = Object.fromEntries(
      servers
        .filter((s) => ['api', 'nestFloor', 'ceiling'].includes(s.name))
        .map((s) => [s.name, round(rssMiB(s.pid), 1)]),
    );
    const { results, rssLoadMaxMiB } = await load(servers, S);
    const commands = Object.fromEntries(
      servers.map((s) => [s.name, SERVERS[s.name].cmd(s.port).slice(0, 2).flat().join(' ')]),
    );
    return { rss: { idleMiB, loadMaxMiB: rssLoadMaxMiB }, results, commands };
  } finally {
    progress.say('stopping servers');
    for (const s of servers) await stopServer(s);
  }
}

async function main(S) {
  runtime.node = S.node;
  const t0 = now();
  const r = {
    startedAt: new Date().toISOString(),
    settings: { connections: CONNECTIONS, wrkThreads: 1, ...S, routes: ROUTES, goals: GOALS },
  };
  r.build = S.build ? await buildApi() : null;
  r.floorBuild = S.build || !existsSync(FLOOR_BUNDLE) ? await buildFloor() : null;
  if (!existsSync(API_BUNDLE))
    throw new Error(
      `${relative(REPO, API_BUNDLE)} missing: build the API first (or drop --skip-build)`,
    );
  await writeCodeCaches();
  await ensureWrk();
  await ensureVenv();
  r.machine = await machine();
  r.artifact = artifact();
  // CPU-heavy steps that need no server come first; the servers then have the machine to themselves.
  r.synth = S.synth ? await synth() : null;
  r.spawnToReady = await spawnTimes(['api', 'nestFloor', 'ceiling'], S.spawns);
  const measured = await measureServers(S);
  r.servers = measured.commands;
  r.rss = measured.rss;
  r.throughput = summarize(measured.results);
  r.raw = measured.results;
  progress.done();

  r.machine.loadavgEnd = loadavg().map((x) => round(x, 2));
  r.durationS = round((now() - t0) / 1000, 1);
  const { text, goals } = report(r, S);
  r.goals = goals;
  mkdirSync(dirname(OUT), { recursive: true });
  writeFileSync(OUT, `${JSON.stringify(r, null, 2)}\n`);
  console.log(text);
  console.log(`full results: ${relative(process.cwd(), OUT) || OUT}`);
}

let settings;
try {
  settings = readOptions();
} catch (error) {
  console.error(`[bench] ${error.message}`);
  process.exit(2);
}
if (settings.help) console.log(USAGE);
else main(settings).catch((error) => die(error?.stack ?? String(error)));
