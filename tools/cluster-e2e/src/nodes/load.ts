import { Agent, request } from 'node:http';

/**
 * Continuous HTTP load through a NodePort, from keep-alive clients like a real one (a browser, a reverse proxy):
 * each client holds its connections open and reuses them, reconnects when the server asks it to
 * (`connection: close`), and does not retry. Every request that does not end in a 200 within the timeout counts
 * as failed, with what happened, so a failed request can be explained.
 */

export interface Target {
  host: string;
  port: number;
}

export interface LoadOptions {
  /** Node addresses with the NodePort; clients are spread over them in turn. */
  targets: Target[];
  path?: string;
  /** Concurrent clients in all (each with its own keep-alive connection), alternating over the targets. */
  clients?: number;
  /** Pause of each client between two requests (0: back to back, for CPU load). */
  pauseMs?: number;
  /** A request not answered in this time is failed (and its connection dropped). */
  timeoutMs?: number;
}

export interface Failure {
  /** Milliseconds since the load started. */
  atMs: number;
  target: string;
  /** `status 503`, `ECONNRESET`, `timeout`, ... */
  what: string;
  /** Sent on a kept-alive connection that had served a request before. */
  reusedConnection: boolean;
}

export interface LoadStats {
  sent: number;
  ok: number;
  failed: number;
  /** Connections opened (a keep-alive client opens one, then again after each `connection: close`). */
  connections: number;
  /** Responses that asked the client to reconnect (`connection: close`: a draining pod). */
  closeAsked: number;
  perTarget: Record<string, { sent: number; failed: number }>;
  /** The first failures, in order (at most 50 kept). */
  failures: Failure[];
  seconds: number;
}

const keptFailures = 50;

export class Load {
  private stopped = false;
  private readonly started = Date.now();
  private readonly agents: Agent[] = [];
  private readonly clients: Promise<void>[] = [];
  private readonly stats: LoadStats;
  private stoppedAt?: number;

  private constructor(private readonly opts: Required<LoadOptions>) {
    this.stats = {
      sent: 0,
      ok: 0,
      failed: 0,
      connections: 0,
      closeAsked: 0,
      perTarget: Object.fromEntries(
        opts.targets.map((t) => [`${t.host}:${t.port}`, { sent: 0, failed: 0 }]),
      ),
      failures: [],
      seconds: 0,
    };
  }

  /** Starts the clients; they run until stop(). */
  static start(options: LoadOptions): Load {
    if (options.targets.length === 0) throw new Error('load: no target');
    const load = new Load({
      path: '/',
      clients: 2 * options.targets.length,
      pauseMs: 20,
      timeoutMs: 5_000,
      ...options,
    });
    for (let i = 0; i < load.opts.clients; i++) {
      load.clients.push(load.client(load.opts.targets[i % load.opts.targets.length]));
    }
    return load;
  }

  /** What has happened so far (a copy). */
  snapshot(): LoadStats {
    const end = this.stoppedAt ?? Date.now();
    return { ...structuredClone(this.stats), seconds: (end - this.started) / 1000 };
  }

  /** Stops sending, waits for the requests in flight (each bounded by the timeout), closes the connections. */
  async stop(): Promise<LoadStats> {
    if (!this.stopped) {
      this.stopped = true;
      await Promise.all(this.clients);
      this.stoppedAt = Date.now();
      for (const agent of this.agents) agent.destroy();
    }
    return this.snapshot();
  }

  private async client(target: Target): Promise<void> {
    // One connection per client, kept alive: like a browser tab or a proxy's upstream pool of one.
    const agent = new Agent({ keepAlive: true, maxSockets: 1, maxFreeSockets: 1 });
    this.agents.push(agent);
    const key = `${target.host}:${target.port}`;
    while (!this.stopped) {
      await this.once(agent, target, key);
      if (this.opts.pauseMs > 0) await new Promise((r) => setTimeout(r, this.opts.pauseMs));
    }
  }

  private once(agent: Agent, target: Target, key: string): Promise<void> {
    this.stats.sent++;
    this.stats.perTarget[key].sent++;
    return new Promise((resolve) => {
      let settled = false;
      const finish = (failure?: string, reused = false) => {
        if (settled) return;
        settled = true;
        if (failure === undefined) {
          this.stats.ok++;
        } else {
          this.stats.failed++;
          this.stats.perTarget[key].failed++;
          if (this.stats.failures.length < keptFailures) {
            this.stats.failures.push({
              atMs: Date.now() - this.started,
              target: key,
              what: failure,
              reusedConnection: reused,
            });
          }
        }
        resolve();
      };
      const req = request(
        { host: target.host, port: target.port, path: this.opts.path, agent },
        (res) => {
          if (res.headers.connection === 'close') this.stats.closeAsked++;
          res.resume();
          res.on('end', () =>
            finish(
              res.statusCode === 200 ? undefined : `status ${res.statusCode}`,
              req.reusedSocket,
            ),
          );
          res.on('error', (e: NodeJS.ErrnoException) =>
            finish(e.code ?? e.message, req.reusedSocket),
          );
        },
      );
      req.on('socket', () => {
        if (!req.reusedSocket) this.stats.connections++;
      });
      req.setTimeout(this.opts.timeoutMs, () => {
        finish('timeout', req.reusedSocket);
        req.destroy();
      });
      req.on('error', (e: NodeJS.ErrnoException) => finish(e.code ?? e.message, req.reusedSocket));
      req.end();
    });
  }
}

/** One line for the test output: the figures and, if any failed, the first failures. */
export function describeLoad(what: string, stats: LoadStats, extra = ''): string {
  const targets = Object.entries(stats.perTarget)
    .map(([t, s]) => `${t} ${s.sent} sent/${s.failed} failed`)
    .join(', ');
  const lines = [
    `${what}: requests sent ${stats.sent}, failed ${stats.failed}${extra} ` +
      `(${stats.seconds.toFixed(1)} s of load; ${stats.connections} connections, ` +
      `${stats.closeAsked} "connection: close" answers; ${targets})`,
  ];
  for (const f of stats.failures.slice(0, 10)) {
    lines.push(
      `  failed at ${(f.atMs / 1000).toFixed(2)} s via ${f.target}: ${f.what}` +
        `${f.reusedConnection ? ' (on a reused keep-alive connection)' : ' (on a new connection)'}`,
    );
  }
  return lines.join('\n');
}
