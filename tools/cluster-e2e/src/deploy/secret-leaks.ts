import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kube, type KubeObject } from '../kube';
import { helmManifest } from '../release';
import { transcript } from '../transcript';
import type { Installed } from './installed';

export interface Labelled {
  label: string;
  value: string;
}

/** Every secret value generated in this run, by where it came from (never printed). */
const generated: Labelled[] = [];

export function remember(label: string, value: string): void {
  generated.push({ label, value });
}

export function generatedCount(): number {
  return generated.length;
}

/** Values, and their base64 form (as in a Secret's data), that occur in `text`; only labels are returned. */
export function leaks(text: string, secrets: Labelled[]): string[] {
  const found: string[] = [];
  for (const { label, value } of secrets) {
    if (text.includes(value)) found.push(label);
    if (text.includes(Buffer.from(value).toString('base64'))) found.push(`${label} (base64)`);
  }
  return found;
}

/** Throws without putting either value into the message. */
/** Every object of every listable type in the whole cluster, except Secrets (ours and Helm's release records). */
export async function clusterLeaks(kube: Kube, secrets: Labelled[]): Promise<string[]> {
  const found: string[] = [];
  for (const type of (await kube.resourceTypes()).filter((t) => t.verbs.includes('list'))) {
    if (type.group === '' && type.name === 'secrets') continue;
    const res = await kube.request('GET', Kube.collectionPath(type));
    // A type that cannot be listed would silently drop out of the scan.
    if (res.status !== 200)
      throw new Error(`listing ${type.group || 'core'}/${type.name} answered ${res.status}`);
    for (const hit of leaks(res.text, secrets))
      found.push(`${hit} in ${type.group || 'core'}/${type.name}`);
  }
  return found;
}

function expectSameSecret(actual: string | undefined, expected: string, what: string): void {
  if (actual !== expected)
    throw new Error(`${what} does not hold the generated value (values not shown)`);
}

/** Every generated value found in what the test captured or in a component log. */
export function capturedLeaks(clusterLogs: string): string[] {
  return [
    ...leaks(transcript(), generated).map((hit) => `${hit} in the test's captured output`),
    ...componentLogLeaks(clusterLogs),
  ];
}

function componentLogLeaks(clusterLogs: string): string[] {
  if (!clusterLogs || !existsSync(clusterLogs))
    throw new Error(`component logs not found at "${clusterLogs}"`);
  const found: string[] = [];
  for (const file of readdirSync(clusterLogs)) {
    const text = readFileSync(join(clusterLogs, file), 'utf8');
    for (const hit of leaks(text, generated)) found.push(`${hit} in ${file}`);
  }
  return found;
}

/**
 * The Secret holds exactly the generated values; no other object in the cluster, no non-Secret object of
 * Helm's rendered manifest, nothing the test captured and no component log contains them (plain or base64).
 */
export async function checkSecretsOnlyInSecret(
  installed: Installed,
  clusterLogs: string,
): Promise<void> {
  const { kube, release, secrets } = installed;
  const secret = await kube.get(await kube.objectPath(installed.one('Secret')), {
    sensitive: true,
  });
  expect(Object.keys(secret.data ?? {}).sort()).toEqual([...release.secret_keys].sort());
  for (const key of release.secret_keys) {
    expectSameSecret(
      Buffer.from(secret.data?.[key] ?? '', 'base64').toString('utf8'),
      secrets[key],
      `Secret key ${key}`,
    );
  }
  const current = Object.entries(secrets).map(([key, value]) => ({ label: key, value }));

  const found = await clusterLeaks(kube, current);
  const rendered: KubeObject[] = await helmManifest(release);
  for (const obj of rendered.filter((o) => o.kind !== 'Secret')) {
    for (const hit of leaks(JSON.stringify(obj), current))
      found.push(`${hit} in the rendered ${obj.kind}`);
  }
  found.push(...capturedLeaks(clusterLogs));
  expect(found).toEqual([]);
}
