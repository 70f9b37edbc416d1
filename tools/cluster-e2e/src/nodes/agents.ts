import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { workspaceRoot } from '../release';
import type { RealCluster } from './cluster';

/** Where the toolchain keeps a built tool's binaries (tools/toolchain/ensure.sh --paths); run.sh builds them. */
export function toolchainBin(tool: string): string {
  const res = spawnSync(join(workspaceRoot, 'tools/toolchain/ensure.sh'), ['--paths', tool], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (res.status !== 0) {
    throw new Error(
      `${tool} is not built (${res.stderr.trim()}): run tools/toolchain/ensure.sh ${tool}`,
    );
  }
  return res.stdout.trim();
}

/**
 * A cluster add-on (metrics-server, the NetworkPolicy agent) run as a host process in the cluster's network
 * namespace, where this suite runs. It is started from the cluster's bin dir, so the cluster's teardown stops it
 * even if this process dies first; its output goes to a log in the nodes' log dir.
 */
export class HostAgent {
  private exitedWith?: string;
  private readonly exited: Promise<void>;

  private constructor(
    readonly name: string,
    readonly log: string,
    private readonly child: ChildProcess,
  ) {
    this.exited = new Promise((resolve) =>
      child.on('exit', (code, signal) => {
        this.exitedWith = signal ? `signal ${signal}` : `exit ${code}`;
        resolve();
      }),
    );
  }

  static start(
    cluster: RealCluster,
    name: string,
    tool: string,
    binary: string,
    args: string[],
  ): HostAgent {
    const link = join(cluster.binDir, binary);
    if (!existsSync(link)) symlinkSync(join(toolchainBin(tool), binary), link);
    const log = join(cluster.logsDir, `${name}.log`);
    const fd = openSync(log, 'a');
    try {
      const child = spawn(link, args, { stdio: ['ignore', fd, fd] });
      return new HostAgent(name, log, child);
    } finally {
      closeSync(fd);
    }
  }

  get running(): boolean {
    return this.exitedWith === undefined;
  }

  /** The last lines of its log, for failure messages. */
  tail(lines = 30): string {
    return readFileSync(this.log, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  }

  /** Throws, with the log's tail, if it has exited. */
  assertRunning(): void {
    if (!this.running) {
      throw new Error(
        `${this.name} exited (${this.exitedWith}); last lines of ${this.log}:\n${this.tail()}`,
      );
    }
  }

  /** TERM, then KILL after the grace period; resolves once it is gone. */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}
