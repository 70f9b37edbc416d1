import { parseAllDocuments } from 'yaml';

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  // Tests read the fields they need; the shapes are Kubernetes', checked by kubernetes-validate.
  /* eslint-disable @typescript-eslint/no-explicit-any */
  spec?: any;
  data?: any;
  stringData?: any;
  automountServiceAccountToken?: boolean;
  /* eslint-enable @typescript-eslint/no-explicit-any */
}

export function parseManifests(yaml: string): K8sObject[] {
  return parseAllDocuments(yaml)
    .map((doc) => doc.toJS() as K8sObject | null)
    .filter((object): object is K8sObject => object !== null);
}

export function only(objects: K8sObject[], kind: string): K8sObject {
  const matches = objects.filter((object) => object.kind === kind);
  if (matches.length !== 1) throw new Error(`expected one ${kind}, found ${matches.length}`);
  return matches[0];
}
