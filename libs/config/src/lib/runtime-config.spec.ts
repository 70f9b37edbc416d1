import { loadRuntimeConfig, RuntimeConfigError } from './runtime-config';
import { plainSettingNames, secretNames } from './runtime-settings';

const prodSecrets = {
  SECRET_KEY: 'k'.repeat(32),
  DB_PASSWORD: 'correct-horse',
};

function problemsOf(env: Record<string, string>) {
  try {
    loadRuntimeConfig(env);
  } catch (error) {
    if (error instanceof RuntimeConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected the configuration to be rejected');
}

describe('loadRuntimeConfig', () => {
  it('starts in dev with no variables at all', () => {
    const { config } = loadRuntimeConfig({});
    expect(config).toMatchObject({
      PORT: 3000,
      HOST: '0.0.0.0',
      APP_ENV: 'dev',
      LOG_LEVEL: 'info',
      MAX_CONNECTIONS: 1024,
      HEADERS_TIMEOUT_SECONDS: 10,
      REQUEST_TIMEOUT_SECONDS: 30,
      KEEP_ALIVE_TIMEOUT_SECONDS: 65,
      SHUTDOWN_DRAIN_SECONDS: 5,
    });
    expect(config.MANAGEMENT_PORT).toBeUndefined();
  });

  it('keeps idle connections open longer than the ALB does, saying why', () => {
    expect(problemsOf({ KEEP_ALIVE_TIMEOUT_SECONDS: '60' })).toEqual([
      {
        variable: 'KEEP_ALIVE_TIMEOUT_SECONDS',
        reason:
          'must be a whole number of seconds above 60 (the AWS ALB\'s idle timeout) and at most 3600 (got "60")',
      },
    ]);
    expect(
      loadRuntimeConfig({ KEEP_ALIVE_TIMEOUT_SECONDS: '61' }).config.KEEP_ALIVE_TIMEOUT_SECONDS,
    ).toBe(61);
  });

  it('rejects a request timeout shorter than the headers timeout', () => {
    expect(problemsOf({ HEADERS_TIMEOUT_SECONDS: '20', REQUEST_TIMEOUT_SECONDS: '10' })).toEqual([
      {
        variable: 'REQUEST_TIMEOUT_SECONDS',
        reason:
          'must be at least HEADERS_TIMEOUT_SECONDS (20): the headers are part of the request (got "10")',
      },
    ]);
  });

  it('rejects a management port equal to PORT', () => {
    expect(problemsOf({ PORT: '8080', MANAGEMENT_PORT: '8080' })).toEqual([
      { variable: 'MANAGEMENT_PORT', reason: 'must differ from PORT (8080) (got "8080")' },
    ]);
    expect(loadRuntimeConfig({ MANAGEMENT_PORT: '9000' }).config.MANAGEMENT_PORT).toBe(9000);
  });

  it('generates a distinct secret per process in dev and says which', () => {
    const first = loadRuntimeConfig({});
    const second = loadRuntimeConfig({});
    expect(first.generatedSecrets).toEqual(secretNames);
    expect(first.config.SECRET_KEY.length).toBeGreaterThanOrEqual(32);
    expect(first.config.SECRET_KEY).not.toBe(second.config.SECRET_KEY);
  });

  it('keeps secrets that are given and generates none', () => {
    const loaded = loadRuntimeConfig({ APP_ENV: 'prod', ...prodSecrets });
    expect(loaded.generatedSecrets).toEqual([]);
    expect(loaded.config.DB_PASSWORD).toBe('correct-horse');
  });

  it('requires every secret in prod, naming each', () => {
    expect(problemsOf({ APP_ENV: 'prod' })).toEqual([
      { variable: 'SECRET_KEY', reason: 'is required when APP_ENV=prod' },
      { variable: 'DB_PASSWORD', reason: 'is required when APP_ENV=prod' },
    ]);
  });

  it('names a non-numeric MAX_CONNECTIONS and echoes the value', () => {
    expect(problemsOf({ MAX_CONNECTIONS: 'abc' })).toEqual([
      {
        variable: 'MAX_CONNECTIONS',
        reason: 'must be a whole number between 1 and 1000000 (got "abc")',
      },
    ]);
  });

  it.each([
    ['PORT', '70000'],
    ['PORT', '80.5'],
    ['MAX_CONNECTIONS', '0'],
    ['SHUTDOWN_DRAIN_SECONDS', '-1'],
    ['HEADERS_TIMEOUT_SECONDS', '0'],
    ['REQUEST_TIMEOUT_SECONDS', '1.5'],
    ['MANAGEMENT_PORT', '0'],
    ['APP_ENV', 'qa'],
    ['LOG_LEVEL', 'loud'],
    ['API_BASE_URL', 'not a url'],
    ['API_BASE_URL', 'ftp://example.com'],
  ])('rejects %s=%s', (variable, value) => {
    expect(problemsOf({ [variable]: value }).map((p) => p.variable)).toEqual([variable]);
  });

  it('lists the allowed environments when APP_ENV is unknown', () => {
    expect(problemsOf({ APP_ENV: 'qa' })[0].reason).toContain('dev, prod');
  });

  it('reports every bad variable at once', () => {
    const problems = problemsOf({
      APP_ENV: 'prod',
      PORT: 'x',
      MAX_CONNECTIONS: 'abc',
    });
    expect(problems.map((p) => p.variable).sort()).toEqual(
      ['DB_PASSWORD', 'MAX_CONNECTIONS', 'PORT', 'SECRET_KEY'].sort(),
    );
  });

  it('never repeats a rejected secret value', () => {
    const problems = problemsOf({
      SECRET_KEY: 'short-secret',
      DB_PASSWORD: 'tiny',
    });
    expect(problems.map((p) => p.variable).sort()).toEqual(['DB_PASSWORD', 'SECRET_KEY']);
    const text = JSON.stringify(problems) + new RuntimeConfigError(problems).message;
    expect(text).not.toContain('short-secret');
    expect(text).not.toContain('tiny');
  });

  it('treats an empty variable as unset', () => {
    expect(loadRuntimeConfig({ PORT: '', LOG_LEVEL: '' }).config).toMatchObject({
      PORT: 3000,
      LOG_LEVEL: 'info',
    });
  });

  it('splits settings into secret and plain', () => {
    expect(secretNames).toEqual(['SECRET_KEY', 'DB_PASSWORD']);
    expect(plainSettingNames).toContain('MAX_CONNECTIONS');
    expect(plainSettingNames).not.toContain('SECRET_KEY');
  });
});
