import { managementPaths } from '@shipyard/config';
import { type FixedResponse, JSON_TYPE } from '../http/fixed-responses';

/**
 * Liveness: the process answers. No dependency is checked, so a slow database never restarts pods.
 * Nothing to evaluate, so the body is Terminus' "ok" shape, fixed, and served without Terminus'
 * per-call machinery (which tripled the cost of this route, probed by every kubelet).
 */
export const livenessResponse: FixedResponse = {
  path: managementPaths.liveness,
  headers: { 'content-type': JSON_TYPE, 'cache-control': 'no-cache, no-store, must-revalidate' },
  body: JSON.stringify({ status: 'ok', info: {}, error: {}, details: {} }),
};
