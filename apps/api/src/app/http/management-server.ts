import { createServer, type Server } from 'node:http';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { managementMaxConnections, managementPaths, type RuntimeConfig } from '@shipyard/config';
import { JSON_TYPE } from './fixed-responses';
import { serverLimits } from './server-limits';

const served = new Set<string>(Object.values(managementPaths));

/**
 * A second listener for the probes and metrics, with a connection cap of its own: clients that
 * fill MAX_CONNECTIONS on PORT cannot starve the kubelet or Prometheus. Its requests go to the
 * app's own handler (same routes, metrics and logs); any other path is 404 here.
 */
export async function listenForManagement(
  app: NestFastifyApplication,
  config: RuntimeConfig,
  port: number,
): Promise<Server> {
  const appServer: Server = app.getHttpServer();
  const limits = serverLimits(config);
  const server = createServer(limits, (request, response) => {
    const path = (request.url ?? '/').split('?')[0].replace(/(.)\/$/, '$1');
    if (served.has(path)) {
      appServer.emit('request', request, response);
      return;
    }
    response.writeHead(404, { 'content-type': JSON_TYPE }).end(
      JSON.stringify({
        message: `Cannot ${request.method} ${path} on the management port`,
        error: 'Not Found',
        statusCode: 404,
      }),
    );
  });
  server.maxConnections = managementMaxConnections;
  server.setTimeout(limits.requestTimeout);
  // It stops with the app: after the drain, when Nest closes the app's server.
  appServer.once('close', () => server.close());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, config.HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}
