import type { Installed } from './installed';

const helmWarnings = /violate[s]? PodSecurity/i;

/** The namespace enforces restricted Pod Security: the chart's pods are admitted, others are refused. */
export async function checkRestrictedPodSecurity(app: Installed): Promise<void> {
  const { kube, ns } = app;
  const namespace = await kube.get(`/api/v1/namespaces/${ns}`);
  expect(namespace.metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
  // The namespace also has warn=restricted: a non-compliant pod template would have drawn a warning.
  expect(app.helmOutput).not.toMatch(helmWarnings);
  expect((await app.activePods()).length).toBeGreaterThan(0);

  const attempt = async (name: string, securityContext: object, podSecurityContext: object = {}) =>
    kube.request('POST', `/api/v1/namespaces/${ns}/pods`, {
      body: {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name },
        spec: {
          // The chart's ServiceAccount: it exists for sure (the namespace's default one appears a bit later).
          serviceAccountName: app.one('ServiceAccount').metadata.name,
          securityContext: podSecurityContext,
          containers: [{ name: 'probe', image: 'probe:1', securityContext }],
        },
      },
    });
  const privileged = await attempt('probe-privileged', { privileged: true });
  expect(privileged.status).toBe(403);
  expect(privileged.body.message).toContain('violates PodSecurity "restricted:latest"');
  expect(privileged.body.message).toContain('privileged');
  // Compliant in every way but one that only the restricted level forbids: running as root.
  const root = await attempt(
    'probe-root',
    { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, runAsUser: 0 },
    { runAsNonRoot: false, seccompProfile: { type: 'RuntimeDefault' } },
  );
  expect(root.status).toBe(403);
  expect(root.body.message).toContain('violates PodSecurity "restricted:latest"');
  expect(root.body.message).toContain('runAsUser=0');
  await expect(kube.exists(`/api/v1/namespaces/${ns}/pods/probe-root`)).resolves.toBe(false);
}
