import type { FastifyInstance } from 'fastify';

/** A GET route whose response never changes for the life of the process. */
export interface FixedResponse {
  path: string;
  headers: Readonly<Record<string, string>>;
  body: string;
}

export const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * Serves fixed responses straight from Fastify's router. Through a Nest controller, the execution
 * context, guard/interceptor/pipe checks and header decorators made up about 7 of the 30 µs each
 * such request cost (CPU per request, `npm run bench`); these routes use none of them. They still
 * get the request id, metrics and access log, which live in RequestObserver, and Nest's 404 and
 * error handling for everything else. Routes that compute something belong in a Nest controller.
 */
export function serveFixedResponses(
  fastify: FastifyInstance,
  responses: readonly FixedResponse[],
): void {
  for (const { path, headers, body } of responses) {
    fastify.get(path, (_request, reply) => {
      reply.headers(headers).send(body);
    });
  }
}
