import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { secretNames } from '@shipyard/config';
import { helm } from './helm-values';
import type { DeployNames } from './names';

/** Served (and stored) by External Secrets Operator v0.16 (tools/toolchain `eso-crds`); v1beta1 is deprecated. */
export const externalSecretsApiVersion = 'external-secrets.io/v1';

export interface ApiExternalSecretsProps {
  readonly names: DeployNames;
}

/**
 * The app's Secret, filled from AWS Secrets Manager by External Secrets Operator: a SecretStore that
 * authenticates as the app's ServiceAccount through IRSA, and one ExternalSecret with an entry per secret
 * key. One ExternalSecret, not one per key: the Secret keeps the name the Deployment reads, and ESO lets a
 * single ExternalSecret own a Secret (a second owner fails with "target is owned by another ExternalSecret").
 */
export class ApiExternalSecrets extends Construct {
  constructor(scope: Construct, id: string, { names }: ApiExternalSecretsProps) {
    super(scope, id);
    new ApiObject(this, 'SecretStore', {
      apiVersion: externalSecretsApiVersion,
      kind: 'SecretStore',
      metadata: { name: names.secretStore },
      spec: {
        provider: {
          aws: {
            service: 'SecretsManager',
            region: helm.awsRegion,
            // ESO requests a token for this ServiceAccount and assumes the role its annotation names.
            auth: { jwt: { serviceAccountRef: { name: names.serviceAccount } } },
          },
        },
      },
    });
    new ApiObject(this, 'ExternalSecret', {
      apiVersion: externalSecretsApiVersion,
      kind: 'ExternalSecret',
      metadata: { name: names.externalSecret },
      spec: {
        // Periodic: a rotation in Secrets Manager reaches the Secret within one interval.
        refreshPolicy: 'Periodic',
        refreshInterval: helm.refreshInterval,
        secretStoreRef: { kind: 'SecretStore', name: names.secretStore },
        target: {
          name: names.secret,
          // The Secret lives and dies with the ExternalSecret (an owner reference), so the release owns it.
          creationPolicy: 'Owner',
          // A secret deleted or unreadable in AWS leaves the last values in place under running pods.
          deletionPolicy: 'Retain',
        },
        data: secretNames.map((name) => ({
          secretKey: name,
          remoteRef: { key: helm.secretId(name) },
        })),
      },
    });
  }
}
