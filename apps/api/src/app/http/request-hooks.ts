import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { IncomingMessage } from 'node:http';
import type { MetricsService } from '../metrics/metrics.service';

const SAFE_REQUEST_ID = /^[\w.:-]{1,128}$/;

// A random per-process prefix and a counter: unique across pods and restarts, and far cheaper per
// request than a UUID.
const processPrefix = randomBytes(6).toString('base64url');
let sequence = 0;

/** Keep a caller's correlation id when it is plausible; otherwise mint one. */
export function requestIdFor(request: IncomingMessage): string {
  const given = request.headers['x-request-id'];
  if (typeof given === 'string' && SAFE_REQUEST_ID.test(given)) return given;
  sequence = (sequence + 1) % Number.MAX_SAFE_INTEGER;
  return `${processPrefix}-${sequence.toString(36)}`;
}

export interface RequestHookDeps {
  isDraining: () => boolean;
  metrics: Pick<MetricsService, 'record'>;
}

export function registerRequestHooks(
  fastify: FastifyInstance,
  { isDraining, metrics }: RequestHookDeps,
): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    // Keep-alive clients would otherwise keep reusing this pod's connection after it left the
    // endpoints; asking them to reconnect sends their next request to a pod that stays.
    if (isDraining()) reply.header('connection', 'close');
    done();
  });

  fastify.addHook('onResponse', (request, reply, done) => {
    metrics.record(
      request.method,
      request.routeOptions.url,
      reply.statusCode,
      reply.elapsedTime / 1000,
    );
    done();
  });
}
