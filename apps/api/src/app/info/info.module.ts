import { type DynamicModule, Inject, Module, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import type { LoadedRuntimeConfig } from '@shipyard/config';
import { serveFixedResponses } from '../http/fixed-responses';
import { infoResponses } from './info-responses';

const LOADED_CONFIG = Symbol('LoadedRuntimeConfig');

/** `/` and `/config`. */
@Module({})
export class InfoModule implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(LOADED_CONFIG) private readonly loaded: LoadedRuntimeConfig,
  ) {}

  /** `/config` also tells which secrets were generated, which the ConfigService does not hold. */
  static register(loaded: LoadedRuntimeConfig): DynamicModule {
    return { module: InfoModule, providers: [{ provide: LOADED_CONFIG, useValue: loaded }] };
  }

  onModuleInit(): void {
    const fastify: FastifyInstance = this.adapterHost.httpAdapter.getInstance();
    serveFixedResponses(fastify, infoResponses(this.loaded));
  }
}
