import { request } from 'node:http';

export interface HttpAnswer {
  status: number;
  body: string;
}

/** One GET on a fresh connection (no keep-alive: each request may land on another pod), with a deadline. */
export function httpGet(
  host: string,
  port: number,
  path: string,
  timeoutMs = 3_000,
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host, port, path, method: 'GET', agent: false, timeout: timeoutMs },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () =>
      req.destroy(new Error(`GET http://${host}:${port}${path}: no answer after ${timeoutMs} ms`)),
    );
    req.on('error', (e) => reject(new Error(`GET http://${host}:${port}${path}: ${e.message}`)));
    req.end();
  });
}

/** The status, or 0 when the connection fails or times out. */
export async function statusOf(
  host: string,
  port: number,
  path: string,
  timeoutMs = 1_000,
): Promise<number> {
  try {
    return (await httpGet(host, port, path, timeoutMs)).status;
  } catch {
    return 0;
  }
}
