import pino, { type Logger } from 'pino';
import type { LogLevel } from '@shipyard/config';

const REDACTED = '[redacted]';

/**
 * JSON logs on stdout. Secret values are scrubbed from the serialized line itself, so a secret
 * never reaches the log whatever field, error message or header it sneaks into.
 */
export function createLogger(
  level: LogLevel,
  secretValues: readonly string[] = [],
  destination: pino.DestinationStream = pino.destination({ fd: 1, sync: true }),
): Logger {
  const secrets = secretValues.filter((value) => value.length > 0);
  return pino(
    {
      level,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: {
        paths: ['req.headers.authorization', 'req.headers.cookie'],
        censor: REDACTED,
      },
      hooks: {
        streamWrite: (line) =>
          secrets.reduce(
            (text, secret) => (text.includes(secret) ? text.replaceAll(secret, REDACTED) : text),
            line,
          ),
      },
    },
    destination,
  );
}
