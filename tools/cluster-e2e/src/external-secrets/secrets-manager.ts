/**
 * The few Secrets Manager calls the suite makes against moto, as the AWS JSON protocol (what terraform/aws's
 * aws_secretsmanager_secret and a rotation Lambda do). moto checks no signature; the Authorization header only
 * carries the region, which selects moto's regional backend, as it selects AWS's. Nothing here is recorded in
 * the transcript: the requests hold secret values.
 */
export class SecretsManager {
  constructor(
    readonly endpoint: string,
    readonly region: string,
  ) {}

  private async call<T>(action: string, body: unknown): Promise<T> {
    const res = await fetch(this.endpoint, {
      method: 'POST',
      signal: AbortSignal.timeout(10_000),
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': `secretsmanager.${action}`,
        authorization: `AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20260101/${this.region}/secretsmanager/aws4_request, SignedHeaders=host, Signature=0`,
      },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    // An error names the action and AWS's error type only: its message could quote the request.
    if (res.status !== 200) {
      const type = (JSON.parse(text || '{}') as { __type?: string }).__type ?? 'unknown';
      throw new Error(`Secrets Manager ${action}: HTTP ${res.status} ${type}`);
    }
    return JSON.parse(text) as T;
  }

  /** Creates a secret with its first value; returns its ARN. */
  async create(name: string, value: string): Promise<string> {
    const { ARN } = await this.call<{ ARN: string }>('CreateSecret', {
      Name: name,
      SecretString: value,
    });
    return ARN;
  }

  /**
   * Session names of the STS AssumeRole* calls moto answered for this role (its state dump, moto-api/data.json;
   * that dump holds the temporary credentials, so it is not recorded either).
   */
  async assumedRoleSessions(roleArn: string): Promise<string[]> {
    const res = await fetch(`${this.endpoint}/moto-api/data.json`, {
      signal: AbortSignal.timeout(10_000),
    });
    if (res.status !== 200) throw new Error(`moto-api/data.json: HTTP ${res.status}`);
    const data = (await res.json()) as {
      sts?: { AssumedRole?: { role_arn: string; session_name: string }[] };
    };
    return (data.sts?.AssumedRole ?? [])
      .filter((role) => role.role_arn === roleArn)
      .map((role) => role.session_name);
  }

  /** A rotation's outcome: a new version, labelled AWSCURRENT. */
  async rotate(secretId: string, value: string): Promise<void> {
    await this.call('PutSecretValue', { SecretId: secretId, SecretString: value });
  }
}
