// @ts-check
'use strict';
/**
 * The least a NestJS 11 app on Fastify does: one module, one controller (`GET /` and `GET /readyz`),
 * no logger. The bench runs it beside the API to show what the framework alone costs: start-up, memory
 * and a request to `/`;
 * it is built the same way as the API (see webpack.config.cjs). Decorators are applied as plain calls,
 * as TypeScript would compile them, so that it needs no compiler of its own.
 */
const { Controller, Get, Module } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { FastifyAdapter } = require('@nestjs/platform-fastify');

/** As a plain Nest app serves them: JSON from a controller method. */
class AppController {
  hello() {
    return { message: 'Hello' };
  }
  ready() {
    return { status: 'ok' };
  }
}
/** @param {string} path @param {'hello' | 'ready'} method */
const get = (path, method) =>
  Get(path)(
    AppController.prototype,
    method,
    /** @type {PropertyDescriptor} */ (
      Object.getOwnPropertyDescriptor(AppController.prototype, method)
    ),
  );
get('/', 'hello');
get('readyz', 'ready');
Controller()(AppController);

class AppModule {}
Module({ controllers: [AppController] })(AppModule);

async function bootstrap() {
  const app = await NestFactory.create(AppModule, new FastifyAdapter(), { logger: false });
  await app.listen(Number(process.env.PORT ?? 3000), process.env.HOST ?? '127.0.0.1');
}

bootstrap().catch((error) => {
  console.error(error);
  process.exit(1);
});
