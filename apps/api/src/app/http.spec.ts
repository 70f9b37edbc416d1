import { request as rawRequest } from 'node:http';
import { version } from '../../package.json';
import { knownSecrets, startTestServer, type TestServer } from '../testing/test-server';

describe('HTTP API (real Fastify server)', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ ...knownSecrets, LOG_LEVEL: 'debug' });
  });
  afterAll(() => server.app.close());

  const get = (path: string, init?: RequestInit) => fetch(`${server.url}${path}`, init);

  it('greets with service name, version and environment', async () => {
    const response = await get('/');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      message: 'Hello from @shipyard/api',
      service: '@shipyard/api',
      version,
      environment: 'dev',
    });
  });

  it.each(['/config', '/config/'])(
    '%s shows settings by name and secrets only as set',
    async (path) => {
      const response = await get(path);
      const text = await response.text();
      expect(response.status).toBe(200);
      expect(JSON.parse(text)).toMatchObject({
        APP_ENV: 'dev',
        MAX_CONNECTIONS: 1024,
        SECRET_KEY: { set: true, source: 'environment' },
        DB_PASSWORD: { set: true, source: 'environment' },
      });
      expect(text).not.toContain(knownSecrets.SECRET_KEY);
      expect(text).not.toContain(knownSecrets.DB_PASSWORD);
    },
  );

  it('reports generated secrets as generated', async () => {
    const devServer = await startTestServer();
    try {
      const body = (await (await fetch(`${devServer.url}/config`)).json()) as Record<
        string,
        unknown
      >;
      expect(body.SECRET_KEY).toEqual({ set: true, source: 'generated' });
    } finally {
      await devServer.app.close();
    }
  });

  it('answers liveness and readiness', async () => {
    expect((await get('/healthz')).status).toBe(200);
    const readiness = await get('/readyz');
    expect(readiness.status).toBe(200);
    expect(await readiness.json()).toMatchObject({
      status: 'ok',
      info: { lifecycle: { status: 'up' } },
    });
  });

  it('is not ready before start-up completes, while alive', async () => {
    const starting = await startTestServer({}, { ready: false });
    try {
      expect((await fetch(`${starting.url}/readyz`)).status).toBe(503);
      expect((await fetch(`${starting.url}/healthz`)).status).toBe(200);
    } finally {
      await starting.app.close();
    }
  });

  it('echoes a caller request id and mints one otherwise', async () => {
    const given = await get('/', { headers: { 'x-request-id': 'trace-42' } });
    expect(given.headers.get('x-request-id')).toBe('trace-42');
    const minted = await get('/', { headers: { 'x-request-id': 'bad id with spaces' } });
    expect(minted.headers.get('x-request-id')).toMatch(/^[\w-]+-[0-9a-z]+$/);
  });

  it.each([
    ['an unknown path', '/nope', 'GET', 404],
    ['a wrong method', '/config', 'POST', 404],
    ['a malformed URL', '/%E0%A4%A', 'GET', 400],
  ])('answers %s with a 4xx JSON body', async (_what, path, method, status) => {
    const response = await get(path, { method });
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toContain('application/json');
    expect(await response.json()).toMatchObject({ statusCode: status });
  });

  it('answers an oversized body with a 4xx JSON body', async () => {
    const response = await get('/config', { method: 'POST', body: 'x'.repeat(2 * 1024 * 1024) });
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
    expect(await response.json()).toHaveProperty('statusCode', response.status);
  });

  it('answers oversized headers with 431 and a JSON body', async () => {
    const { port } = new URL(server.url);
    const { status, body } = await new Promise<{ status?: number; body: string }>(
      (resolve, reject) => {
        const req = rawRequest(
          { host: '127.0.0.1', port, path: '/', headers: { 'x-big': 'y'.repeat(20_000) } },
          (res) => {
            let body = '';
            res.on('data', (chunk) => (body += chunk));
            res.on('end', () => resolve({ status: res.statusCode, body }));
          },
        );
        req.on('error', reject);
        req.end();
      },
    );
    expect(status).toBe(431);
    expect(JSON.parse(body)).toHaveProperty('statusCode', 431);
  });

  it('writes JSON logs with request ids and never a secret value', async () => {
    await get(`/config?token=${knownSecrets.SECRET_KEY}`, {
      headers: { 'x-request-id': 'log-check', authorization: `Bearer ${knownSecrets.DB_PASSWORD}` },
    });
    const lines = server.logs.map((line) => JSON.parse(line));
    expect(lines.find((line) => line.reqId === 'log-check')).toMatchObject({
      level: 'debug',
      msg: 'request completed',
      method: 'GET',
      url: '/config?token=[redacted]',
      statusCode: 200,
    });
    const all = server.logs.join('');
    expect(all).toContain('[redacted]');
    expect(all).not.toContain(knownSecrets.SECRET_KEY);
    expect(all).not.toContain(knownSecrets.DB_PASSWORD);
  });
});
