import type { ServerOptions } from 'node:http';
import type { RuntimeConfig } from '@shipyard/config';

type LimitSettings = Pick<
  RuntimeConfig,
  'HEADERS_TIMEOUT_SECONDS' | 'REQUEST_TIMEOUT_SECONDS' | 'KEEP_ALIVE_TIMEOUT_SECONDS'
>;

/**
 * Node's limits on a slow or silent client, for every server the process listens with. Node checks
 * the headers and request timeouts in a sweep, every 30 s by default: once a second keeps a
 * stalled client's stay close to its limit.
 */
export function serverLimits(config: LimitSettings) {
  return {
    headersTimeout: config.HEADERS_TIMEOUT_SECONDS * 1000,
    requestTimeout: config.REQUEST_TIMEOUT_SECONDS * 1000,
    keepAliveTimeout: config.KEEP_ALIVE_TIMEOUT_SECONDS * 1000,
    connectionsCheckingInterval: 1000,
  } satisfies ServerOptions;
}

/** The same limits as Fastify options (Fastify turns `requestTimeout` off unless told). */
export function fastifyLimits(config: LimitSettings) {
  const { headersTimeout, requestTimeout, keepAliveTimeout, connectionsCheckingInterval } =
    serverLimits(config);
  return {
    // Socket inactivity either way, such as a client that stops reading its response.
    connectionTimeout: requestTimeout,
    keepAliveTimeout,
    requestTimeout,
    http: { headersTimeout, connectionsCheckingInterval },
  };
}
