import type { LoadedRuntimeConfig } from '@shipyard/config';
import { name, version } from '../../../package.json';
import { type FixedResponse, JSON_TYPE } from '../http/fixed-responses';
import { publicConfig } from './public-config';

/** `/` and `/config`: both fixed for the life of the process, so serialized once. */
export function infoResponses(loaded: LoadedRuntimeConfig): FixedResponse[] {
  return [
    {
      path: '/',
      headers: { 'content-type': JSON_TYPE },
      body: JSON.stringify({
        message: `Hello from ${name}`,
        service: name,
        version,
        environment: loaded.config.APP_ENV,
      }),
    },
    {
      path: '/config',
      headers: { 'content-type': JSON_TYPE, 'cache-control': 'no-store' },
      body: JSON.stringify(publicConfig(loaded)),
    },
  ];
}
