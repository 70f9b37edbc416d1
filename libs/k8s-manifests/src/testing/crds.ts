import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { K8sObject } from './objects';
import { toolchainBinary, toolchainDir } from './toolchain';

const validateScript = `
import json, sys, jsonschema
schemas, objects = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
for o in objects:
    key = o["apiVersion"] + "/" + o["kind"]
    if key not in schemas: sys.exit("no CRD for " + key)
    # No meta-schema check: CRDs carry Go regexes that Python's re cannot compile.
    jsonschema.Draft7Validator(schemas[key]).validate(o)
print(len(objects))
`;

/** Validates custom resources against the openAPIV3Schema of their CRD (as the apiserver does). */
export function validateAgainstCrds(objects: K8sObject[], workDir: string): number {
  const schemas: Record<string, unknown> = {};
  // Generated from the pinned prometheus-operator API types (tools/toolchain/ensure.sh crds), and
  // External Secrets Operator's as released (ensure.sh eso-crds).
  for (const crdDir of [toolchainDir('crds'), toolchainDir('eso-crds')]) {
    for (const file of readdirSync(crdDir).filter((name) => name.endsWith('.yaml'))) {
      const crd = parse(readFileSync(join(crdDir, file), 'utf8'));
      for (const version of crd.spec.versions) {
        if (!version.served) continue;
        schemas[`${crd.spec.group}/${version.name}/${crd.spec.names.kind}`] =
          version.schema.openAPIV3Schema;
      }
    }
  }
  writeFileSync(join(workDir, 'crd-schemas.json'), JSON.stringify(schemas));
  writeFileSync(join(workDir, 'custom-objects.json'), JSON.stringify(objects));
  const output = execFileSync(
    toolchainBinary('pytools', 'python'),
    ['-c', validateScript, join(workDir, 'crd-schemas.json'), join(workDir, 'custom-objects.json')],
    { encoding: 'utf8' },
  );
  return Number(output.trim());
}
