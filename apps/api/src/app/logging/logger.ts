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
  const secrets = secretForms(secretValues.filter((value) => value.length > 0));
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

/**
 * Every form a secret takes in a serialized line: as is, JSON-escaped (a value holding `"`, `\` or a
 * newline is written escaped), and escaped twice (a JSON string logged inside a field). Longest first, so
 * a longer form is replaced whole before a shorter one could match inside it.
 */
function secretForms(values: readonly string[]): string[] {
  const forms = new Set<string>();
  for (const value of values) {
    const once = JSON.stringify(value).slice(1, -1);
    forms.add(value).add(once).add(JSON.stringify(once).slice(1, -1));
  }
  return [...forms].sort((a, b) => b.length - a.length);
}
