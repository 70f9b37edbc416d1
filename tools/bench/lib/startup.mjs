// Spawn-to-ready: from spawn() to the first 200 on the ready path, servers taken in alternating order; and the
// CPU time the process spent until then, which other load on the machine moves far less than the wall time.
import { median, progress, round } from './proc.mjs';
import { startServer, stopServer } from './servers.mjs';

export async function spawnTimes(names, spawns) {
  const times = Object.fromEntries(names.map((name) => [name, []]));
  const cpu = Object.fromEntries(names.map((name) => [name, []]));
  for (let i = 0; i < spawns; i++) {
    for (const name of i % 2 ? names.toReversed() : names) {
      progress.say(`spawn-to-ready ${i + 1}/${spawns} ${name}`);
      const server = await startServer(name);
      times[name].push(server.readyMs);
      cpu[name].push(server.cpuToReadyMs);
      await stopServer(server);
    }
  }
  return Object.fromEntries(
    Object.entries(times).map(([k, v]) => [
      k,
      {
        medianMs: round(median(v), 1),
        runsMs: v.map((x) => round(x, 1)),
        cpuMedianMs: round(median(cpu[k]), 1),
        cpuRunsMs: cpu[k].map((x) => round(x, 1)),
      },
    ]),
  );
}
