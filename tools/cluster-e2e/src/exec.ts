import { execFile } from 'node:child_process';
import { record } from './transcript';

export interface RunOptions {
  /** Killed (SIGKILL) after this long. */
  timeoutMs: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Leave the output out of the transcript; the caller records what may be kept. */
  unrecorded?: boolean;
}

export interface RunResult {
  stdout: string;
  stderr: string;
}

/** Runs a command (no shell), records its command line and output in the transcript, throws on failure. */
export function run(cmd: string, args: readonly string[], opts: RunOptions): Promise<RunResult> {
  const line = [cmd, ...args].join(' ');
  return new Promise((resolve, reject) => {
    execFile(
      cmd,
      args,
      {
        timeout: opts.timeoutMs,
        killSignal: 'SIGKILL',
        maxBuffer: 64 * 1024 * 1024,
        env: opts.env ?? process.env,
        cwd: opts.cwd,
      },
      (error, stdout, stderr) => {
        record(
          `$ ${line}`,
          opts.unrecorded ? `(output not recorded)\n${stderr}` : `${stdout}\n${stderr}`,
        );
        if (error) {
          const why = error.killed
            ? `killed after ${opts.timeoutMs} ms`
            : `exit ${String(error.code)}`;
          reject(new Error(`${line}: ${why}\n${stderr.slice(-4000)}`));
        } else {
          resolve({ stdout, stderr });
        }
      },
    );
  });
}
