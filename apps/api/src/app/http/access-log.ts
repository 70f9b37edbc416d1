import { type FastifyReply, type FastifyRequest, LogController } from 'fastify';

/**
 * Fastify logs every request at info by default: at tens of thousands of requests a second that is
 * most of the work. Successful requests are logged at debug, refusals at warn, failures at error.
 */
export class AccessLogController extends LogController {
  override incomingRequest(): void {
    return;
  }

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    const { statusCode } = reply;
    const entry = {
      method: request.method,
      url: request.url,
      statusCode,
      responseTime: reply.elapsedTime,
      err: error ?? undefined,
    };
    if (statusCode === 503 && !error) {
      // Deliberate: readiness while starting or draining.
      reply.log.warn(entry, 'request refused: not ready');
    } else if (error || statusCode >= 500) {
      reply.log.error(entry, 'request failed');
    } else {
      reply.log.debug(entry, 'request completed');
    }
  }
}
