import { type ChildProcess, spawn, type SpawnOptions } from 'node:child_process';

export interface Exited {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

export interface Started {
  child: ChildProcess;
  /** Resolves once the process has exited, with everything it wrote to stdout and stderr. */
  exited: Promise<Exited>;
  /** What it has written so far. */
  output: () => string;
}

/** Spawns a process whose stdout and stderr are collected, with a promise for its exit. */
export function start(
  command: string,
  args: readonly string[],
  options: SpawnOptions = {},
): Started {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  const exited = new Promise<Exited>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, output })),
  );
  return { child, exited, output: () => output };
}

/** Sends `signal`, and SIGKILL if the process is still there after `graceMs`; resolves once it is gone. */
export async function stop(
  started: Started,
  signal: NodeJS.Signals = 'SIGTERM',
  graceMs = 5_000,
): Promise<Exited> {
  if (started.child.exitCode === null && started.child.signalCode === null) {
    started.child.kill(signal);
    const timer = setTimeout(() => started.child.kill('SIGKILL'), graceMs);
    try {
      return await started.exited;
    } finally {
      clearTimeout(timer);
    }
  }
  return started.exited;
}
