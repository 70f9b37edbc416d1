import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { dirname, resolve } from 'node:path';
import { parse } from 'yaml';
import { record } from './transcript';

/* A small Kubernetes REST client: the status codes themselves (403 from admission, 429 from the eviction API)
 * are what the suite asserts, and kubectl would reduce them to exit codes and messages. */

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    generation?: number;
    deletionTimestamp?: string;
    ownerReferences?: { kind: string; name: string }[];
  };
  // The suite reads spec and status of many kinds; each assertion names the fields it relies on.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  spec?: any;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  status?: any;
  data?: Record<string, string>;
}

export interface KubeList<T = KubeObject> {
  items: T[];
}

export interface Response {
  status: number;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

export interface RequestOptions {
  body?: unknown;
  contentType?: string;
  /** Keep the response out of the transcript (as any Secret or list of Secrets is). */
  sensitive?: boolean;
  timeoutMs?: number;
}

export interface ResourceType {
  group: string;
  version: string;
  /** Plural, e.g. `deployments`. */
  name: string;
  kind: string;
  namespaced: boolean;
  verbs: string[];
}

interface NamedEntry<T> {
  name: string;
  [key: string]: unknown;
  cluster?: T;
  user?: T;
  context?: T;
}

export class Kube {
  private readonly agent: Agent;
  private discovered?: Promise<ResourceType[]>;

  constructor(
    readonly server: string,
    tls: { ca: Buffer; cert: Buffer; key: Buffer },
  ) {
    this.agent = new Agent({ ...tls, keepAlive: true, maxSockets: 8 });
  }

  /** From the kubeconfig the cluster wrapper exports (current context; file or inline credentials). */
  static fromKubeconfig(path: string): Kube {
    const config = parse(readFileSync(path, 'utf8'));
    const base = dirname(path);
    const find = <T>(
      list: NamedEntry<T>[],
      name: string,
      what: 'cluster' | 'user' | 'context',
    ): T => {
      const entry = list.find((e) => e.name === name)?.[what];
      if (!entry) throw new Error(`${path}: no ${what} named ${name}`);
      return entry;
    };
    const context = find<{ cluster: string; user: string }>(
      config.contexts,
      config['current-context'],
      'context',
    );
    const cluster = find<Record<string, string>>(config.clusters, context.cluster, 'cluster');
    const user = find<Record<string, string>>(config.users, context.user, 'user');
    const material = (entry: Record<string, string>, key: string): Buffer => {
      if (entry[`${key}-data`]) return Buffer.from(entry[`${key}-data`], 'base64');
      if (entry[key]) return readFileSync(resolve(base, entry[key]));
      throw new Error(`${path}: ${key} is missing`);
    };
    return new Kube(cluster['server'], {
      ca: material(cluster, 'certificate-authority'),
      cert: material(user, 'client-certificate'),
      key: material(user, 'client-key'),
    });
  }

  close(): void {
    this.agent.destroy();
  }

  request(method: string, path: string, opts: RequestOptions = {}): Promise<Response> {
    const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    const timeoutMs = opts.timeoutMs ?? 15_000;
    return new Promise((resolvePromise, reject) => {
      const req = request(
        new URL(path, this.server),
        {
          method,
          agent: this.agent,
          timeout: timeoutMs,
          headers: {
            accept: 'application/json',
            ...(payload === undefined
              ? {}
              : {
                  'content-type': opts.contentType ?? 'application/json',
                  'content-length': Buffer.byteLength(payload),
                }),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            const warnings = res.headers['warning'];
            let body: { kind?: string } | undefined;
            try {
              body = text ? JSON.parse(text) : undefined;
            } catch {
              body = undefined;
            }
            // Secrets are read on purpose (the values are compared there); any other answer is kept.
            const secret = opts.sensitive || body?.kind === 'Secret' || body?.kind === 'SecretList';
            record(
              `${method} ${path} -> ${res.statusCode}`,
              secret
                ? '(a Secret: not recorded)'
                : `${warnings ? `Warning: ${warnings}\n` : ''}${text}`,
            );
            resolvePromise({ status: res.statusCode ?? 0, text: secret ? '' : text, body });
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () =>
        req.destroy(new Error(`${method} ${path}: no answer after ${timeoutMs} ms`)),
      );
      req.on('error', reject);
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }

  /** GET that must answer 200. */
  async get<T = KubeObject>(path: string, opts: RequestOptions = {}): Promise<T> {
    const res = await this.request('GET', path, opts);
    if (res.status !== 200)
      throw new Error(`GET ${path}: ${res.status} ${res.body?.message ?? ''}`);
    return res.body as T;
  }

  async exists(path: string): Promise<boolean> {
    const res = await this.request('GET', path);
    if (res.status === 404) return false;
    if (res.status === 200) return true;
    throw new Error(`GET ${path}: ${res.status} ${res.body?.message ?? ''}`);
  }

  async mergePatch(path: string, patch: unknown): Promise<KubeObject> {
    const res = await this.request('PATCH', path, {
      body: patch,
      contentType: 'application/merge-patch+json',
    });
    if (res.status !== 200)
      throw new Error(`PATCH ${path}: ${res.status} ${res.body?.message ?? ''}`);
    return res.body;
  }

  /** Every resource type the server serves (all groups and versions), from discovery; cached. */
  resourceTypes(): Promise<ResourceType[]> {
    this.discovered ??= this.discover();
    return this.discovered;
  }

  private async discover(): Promise<ResourceType[]> {
    const groupVersions: { group: string; version: string; path: string }[] = [
      { group: '', version: 'v1', path: '/api/v1' },
    ];
    const groups = await this.get<{ groups: { name: string; versions: { version: string }[] }[] }>(
      '/apis',
    );
    for (const group of groups.groups) {
      for (const { version } of group.versions) {
        groupVersions.push({ group: group.name, version, path: `/apis/${group.name}/${version}` });
      }
    }
    const types: ResourceType[] = [];
    for (const gv of groupVersions) {
      const list = await this.get<{
        resources: { name: string; kind: string; namespaced: boolean; verbs: string[] }[];
      }>(gv.path);
      for (const r of list.resources) {
        if (r.name.includes('/')) continue; // subresources
        types.push({ group: gv.group, version: gv.version, ...r });
      }
    }
    return types;
  }

  /** Collection path of a resource type, optionally in a namespace. */
  static collectionPath(type: ResourceType, namespace?: string): string {
    const prefix = type.group ? `/apis/${type.group}/${type.version}` : `/api/${type.version}`;
    return type.namespaced && namespace
      ? `${prefix}/namespaces/${namespace}/${type.name}`
      : `${prefix}/${type.name}`;
  }

  /** API path of one object given as in a manifest (apiVersion, kind, metadata). */
  async objectPath(obj: KubeObject): Promise<string> {
    const [group, version] = obj.apiVersion?.includes('/')
      ? obj.apiVersion.split('/')
      : ['', obj.apiVersion];
    const type = (await this.resourceTypes()).find(
      (t) => t.group === group && t.version === version && t.kind === obj.kind,
    );
    if (!type) throw new Error(`the server does not serve ${obj.apiVersion} ${obj.kind}`);
    return `${Kube.collectionPath(type, obj.metadata.namespace)}/${obj.metadata.name}`;
  }
}
