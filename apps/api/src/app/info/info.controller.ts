import { Controller, Get, Header, Inject } from '@nestjs/common';
import type { LoadedRuntimeConfig } from '@shipyard/config';
import { name, version } from '../../../package.json';
import { LOADED_CONFIG } from '../tokens';
import { publicConfig } from './public-config';

const JSON_TYPE = 'application/json; charset=utf-8';

/** Both bodies are fixed for the life of the process, so they are serialized once. */
@Controller()
export class InfoController {
  private readonly greetingBody: string;
  private readonly configBody: string;

  constructor(@Inject(LOADED_CONFIG) loaded: LoadedRuntimeConfig) {
    const environment = loaded.config.APP_ENV;
    this.greetingBody = JSON.stringify({
      message: `Hello from ${name}`,
      service: name,
      version,
      environment,
    });
    this.configBody = JSON.stringify(publicConfig(loaded));
  }

  @Get()
  @Header('content-type', JSON_TYPE)
  greeting(): string {
    return this.greetingBody;
  }

  @Get('config')
  @Header('content-type', JSON_TYPE)
  @Header('cache-control', 'no-store')
  config(): string {
    return this.configBody;
  }
}
