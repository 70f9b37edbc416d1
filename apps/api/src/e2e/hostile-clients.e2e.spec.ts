import { connect, type Socket } from 'node:net';
import {
  answer,
  launch,
  releaseBundle,
  requireBundle,
  status,
  waitUntilReady,
} from './api-process';
import { freePort } from './free-port';

// A small cap and short limits, so that the flood is quick; `npm run flood` measures the defaults.
const cap = 50;
const clients = 60;
const limits = { HEADERS_TIMEOUT_SECONDS: 1, REQUEST_TIMEOUT_SECONDS: 2 };
/** Node checks its timeouts in a sweep; on a busy CI machine a process can also be slow to run it. */
const slackSeconds = 3;

interface Stalled {
  sockets: Socket[];
  /** Seconds each connection stayed open, once closed. */
  lifetimes: number[];
}

/** Opens `clients` connections that each start a request (or not) and then send nothing more. */
async function stall(port: number, start: (socket: Socket) => void): Promise<Stalled> {
  const stalled: Stalled = { sockets: [], lifetimes: [] };
  await Promise.all(
    Array.from({ length: clients }, () => {
      const socket = connect({ host: '127.0.0.1', port });
      stalled.sockets.push(socket);
      socket.on('error', () => undefined);
      // Read the server's 408 and FIN, or its close goes unnoticed.
      socket.resume();
      return new Promise<void>((resolve) => {
        socket.once('connect', () => {
          const since = performance.now();
          socket.once('close', () => stalled.lifetimes.push((performance.now() - since) / 1000));
          start(socket);
          resolve();
        });
        socket.once('close', () => resolve());
      });
    }),
  );
  return stalled;
}

/** How many stay open after `seconds`, or fewer than `atMost` earlier. */
async function openAfter({ sockets }: Stalled, seconds: number, atMost = 0): Promise<number> {
  const deadline = performance.now() + seconds * 1000;
  let open = sockets.filter((s) => !s.closed).length;
  while (open > atMost && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    open = sockets.filter((s) => !s.closed).length;
  }
  return open;
}

const attacks = [
  {
    name: 'headers announcing a body that never comes',
    limit: 'REQUEST_TIMEOUT_SECONDS' as const,
    start: (socket: Socket) =>
      socket.write(
        'POST / HTTP/1.1\r\nHost: a\r\ncontent-type: application/json\r\n' +
          'content-length: 10\r\n\r\n',
      ),
  },
  {
    name: 'connections that send nothing',
    limit: 'HEADERS_TIMEOUT_SECONDS' as const,
    start: () => undefined,
  },
];

describe(`${clients} stalled clients against MAX_CONNECTIONS=${cap}`, () => {
  let api: ReturnType<typeof launch>;
  let app: string;
  let management: string;
  let stalled: Stalled | undefined;

  beforeAll(async () => {
    requireBundle();
    const [port, managementPort] = [await freePort(), await freePort()];
    app = `http://127.0.0.1:${port}`;
    management = `http://127.0.0.1:${managementPort}`;
    api = launch({
      PORT: String(port),
      MANAGEMENT_PORT: String(managementPort),
      MAX_CONNECTIONS: String(cap),
      HEADERS_TIMEOUT_SECONDS: String(limits.HEADERS_TIMEOUT_SECONDS),
      REQUEST_TIMEOUT_SECONDS: String(limits.REQUEST_TIMEOUT_SECONDS),
      LOG_LEVEL: 'warn',
    });
    await waitUntilReady(app, api.child);
  });

  afterEach(() => stalled?.sockets.forEach((socket) => socket.destroy()));

  afterAll(async () => {
    api.child.kill('SIGKILL');
    await api.exited;
    releaseBundle();
  });

  it.each(attacks)(
    '$name: dropped within $limit, probes answered throughout',
    async (attack) => {
      stalled = await stall(Number(new URL(app).port), attack.start);
      const since = performance.now();

      // The flood is real: the cap is full, so the app port turns new clients away.
      await openAfter(stalled, 0.5, cap);
      const refusedAtOnce = stalled.lifetimes.filter((seconds) => seconds < 0.5).length;
      expect(refusedAtOnce).toBeGreaterThanOrEqual(clients - cap);
      expect(await status(`${app}/healthz`, false, 500).catch(() => 0)).not.toBe(200);

      // The probes and the scrape go to the management port, which the flood cannot reach.
      for (const path of ['/healthz', '/readyz', '/metrics']) {
        expect({ path, status: await status(`${management}${path}`, false, 1000) }).toEqual({
          path,
          status: 200,
        });
      }

      const seconds = limits[attack.limit] + slackSeconds;
      const stillOpen = await openAfter(stalled, seconds);
      const elapsed = ((performance.now() - since) / 1000).toFixed(1);
      if (stillOpen > 0) {
        throw new Error(
          `${stillOpen} of ${clients - refusedAtOnce} held connections (${attack.name}) were still open ` +
            `${elapsed} s after the flood began: ${attack.limit}=${limits[attack.limit]} ` +
            `(+${slackSeconds} s slack) is not applied to the server`,
        );
      }

      // ...by this limit, not an earlier one.
      const held = stalled.lifetimes.filter((seconds) => seconds >= 0.5);
      expect(Math.min(...held)).toBeGreaterThanOrEqual(limits[attack.limit] - 0.25);

      // Their slots are free again at once.
      expect(await status(`${app}/`, false, 1000)).toBe(200);
    },
    30_000,
  );

  it('serves only the probes and metrics on the management port', async () => {
    expect(await status(`${management}/`)).toBe(404);
    expect(await status(`${management}/config`)).toBe(404);
    expect(await status(`${management}/readyz?verbose`)).toBe(200);
  });

  it('keeps idle keep-alive connections longer than the ALB (60 s) and says so', async () => {
    const { headers } = await answer(`${app}/`);
    expect(headers['keep-alive']).toBe('timeout=65');
  });
});
