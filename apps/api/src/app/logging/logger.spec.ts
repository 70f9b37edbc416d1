import { createLogger } from './logger';

/** A secret with every character JSON escapes: a quote, a backslash, a newline, a tab. */
const secret = 'pa"ss\\word\nwith\ttabs-0123456789';

function capture() {
  const lines: string[] = [];
  const logger = createLogger('debug', [secret], {
    write: (line: string) => void lines.push(line),
  });
  return { logger, lines };
}

describe('createLogger with a secret that JSON escapes', () => {
  it('scrubs it from a message, a field, an error and a JSON string logged in a field', () => {
    const { logger, lines } = capture();
    logger.info(`the message holds ${secret}`);
    logger.info({ header: `Bearer ${secret}` }, 'a field holds it');
    logger.error({ err: new Error(`connect failed for ${secret}`) }, 'an error holds it');
    logger.warn({ body: JSON.stringify({ credential: secret }) }, 'a serialized body holds it');
    expect(lines).toHaveLength(4);
    for (const line of lines) {
      expect(line).toContain('[redacted]');
      // No fragment of it in any escaping: its digits, nor its first word around the escaped quote.
      expect(line).not.toContain('tabs-0123456789');
      expect(line).not.toMatch(/pa\W+ss/);
    }
  });

  it('keeps every line valid JSON and the rest of the line intact', () => {
    const { logger, lines } = capture();
    logger.info({ user: 'alice' }, `before ${secret} after`);
    expect(JSON.parse(lines[0])).toMatchObject({ user: 'alice', msg: 'before [redacted] after' });
  });
});
