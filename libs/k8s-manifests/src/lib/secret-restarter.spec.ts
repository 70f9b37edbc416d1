import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Testing } from 'cdk8s';
import { appEnvNames, environments } from '@shipyard/config';
import { type K8sObject, parseManifests } from '../testing/objects';
import { ApiChart } from './api-chart';
import { templateFiles } from './helm-chart';
import { offersSecretsManager, restartOnSecretChangeAnnotation } from './helm-values';
import { deployNames } from './names';
import { secretRestarterName, secretRestarterScript } from './secret-restarter';
import { runAsUser } from './workload';

const repo = resolve(__dirname, '../../../..');

describe.each(appEnvNames.filter((env) => offersSecretsManager(env)))(
  'the secret restarter of the %s chart',
  (env) => {
    const names = deployNames(env);
    const objects = Testing.synth(
      new ApiChart(Testing.app(), 'api', { env, appVersion: '1.2.3' }),
    ) as K8sObject[];
    const own = objects.filter((o) => o.metadata.name === secretRestarterName);
    const one = (kind: string) => {
      const found = own.filter((o) => o.kind === kind);
      if (found.length !== 1) throw new Error(`expected one ${kind}, found ${found.length}`);
      return found[0];
    };
    const deployment = one('Deployment');
    const pod = deployment.spec.template.spec;
    const [container] = pod.containers;

    it('is rendered only with secretsSource aws-secrets-manager', () => {
      const file = templateFiles(env, '1.2.3')['templates/secret-restarter.yaml'];
      expect(file.startsWith('{{- if eq .Values.secretsSource "aws-secrets-manager" }}\n')).toBe(
        true,
      );
      expect(file.trimEnd().endsWith('{{- end }}')).toBe(true);
      const inFile = parseManifests(file.split('\n').slice(1, -2).join('\n'));
      expect(inFile.map((o) => o.kind).sort()).toEqual([
        'Deployment',
        'NetworkPolicy',
        'Role',
        'RoleBinding',
        'ServiceAccount',
      ]);
      for (const [path, text] of Object.entries(templateFiles(env, '1.2.3'))) {
        if (path !== 'templates/secret-restarter.yaml')
          expect(text).not.toContain(`name: ${secretRestarterName}\n`);
      }
    });

    it('may read only the synced Secret and patch only the API Deployment', () => {
      expect((one('Role') as K8sObject & { rules?: unknown }).rules).toEqual([
        {
          apiGroups: [''],
          resources: ['secrets'],
          resourceNames: [names.secret],
          verbs: ['get', 'list', 'watch'],
        },
        {
          apiGroups: ['apps'],
          resources: ['deployments'],
          resourceNames: [names.deployment],
          verbs: ['get', 'patch'],
        },
      ]);
      expect(one('RoleBinding')).toMatchObject({
        roleRef: { kind: 'Role', name: secretRestarterName },
        subjects: [{ kind: 'ServiceAccount', name: secretRestarterName }],
      });
      expect(pod.serviceAccountName).toBe(secretRestarterName);
      expect(pod.automountServiceAccountToken).toBe(true);
      // The API's own pods still get no token.
      const api = objects.find(
        (o) => o.kind === 'Deployment' && o.metadata.name === names.deployment,
      );
      expect(api?.spec.template.spec.automountServiceAccountToken).toBe(false);
    });

    it("runs the image's secret-restarter.js on the names of the Secret and the Deployment", () => {
      const api = objects.find(
        (o) => o.kind === 'Deployment' && o.metadata.name === names.deployment,
      );
      expect(container.image).toBe(api?.spec.template.spec.containers[0].image);
      expect(container.args).toEqual([secretRestarterScript]);
      expect(container.command).toBeUndefined();
      expect(container.env).toEqual([
        { name: 'WATCH_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
        { name: 'SECRET_NAME', value: names.secret },
        { name: 'DEPLOYMENT_NAME', value: names.deployment },
        { name: 'RESYNC_SECONDS', value: '60' },
        { name: 'OPT_IN_ANNOTATION', value: restartOnSecretChangeAnnotation },
      ]);
      // The API Deployment opts in with that annotation (set to the Secret's name in this mode).
      expect(api?.metadata.annotations?.[restartOnSecretChangeAnnotation]).toContain(names.secret);
    });

    it('ships in the image: the Dockerfile copies the bundle where the chart runs it from', () => {
      const dockerfile = readFileSync(join(repo, 'apps/api/Dockerfile'), 'utf8');
      const copy = /^COPY --from=build .*$/m.exec(dockerfile)?.[0] ?? '';
      expect(copy).toContain('/workspace/dist/apps/api/secret-restarter.js');
      expect(copy.endsWith(` ${secretRestarterScript.replace(/[^/]+$/, '')}`)).toBe(true);
      const webpack = readFileSync(join(repo, 'apps/api/webpack.config.js'), 'utf8');
      expect(webpack).toContain("entryName: 'secret-restarter'");
    });

    it('passes restricted Pod Security, one replica at a time, and admits no inbound traffic', () => {
      expect(pod.securityContext).toEqual({
        runAsNonRoot: true,
        runAsUser,
        runAsGroup: runAsUser,
        seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(container.securityContext).toMatchObject({
        runAsNonRoot: true,
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
        seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(container.resources.limits).toBeDefined();
      expect(deployment.spec).toMatchObject({ replicas: 1, strategy: { type: 'Recreate' } });
      const labels = deployment.spec.template.metadata.labels;
      expect(one('NetworkPolicy').spec).toEqual({
        podSelector: { matchLabels: labels },
        policyTypes: ['Ingress'],
      });
      // Not one of the API's pods: the API's Service, HPA and PDB select by name=api.
      expect(labels['app.kubernetes.io/name']).not.toBe(
        objects.find((o) => o.kind === 'Deployment' && o.metadata.name === names.deployment)?.spec
          .selector.matchLabels['app.kubernetes.io/name'],
      );
    });
  },
);

it('no environment without Secrets Manager gets a restarter', () => {
  for (const env of appEnvNames.filter((e) => !offersSecretsManager(e))) {
    const objects = Testing.synth(new ApiChart(Testing.app(), 'api', { env, appVersion: '1' }));
    expect(objects.filter((o) => o.metadata.name === secretRestarterName)).toEqual([]);
    expect(environments[env].secretSources).not.toContain('aws-secrets-manager');
  }
});
