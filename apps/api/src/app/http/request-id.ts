import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

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
