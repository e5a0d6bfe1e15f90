/**
 * JSON schemas for kubeconform, generated offline: kubeconform's schema repository cannot be
 * downloaded here, so we convert the OpenAPI spec that ships in the `k8s.io/kubernetes` Go module
 * (`api/openapi-spec/swagger.json`) and the HTTPRoute CRD of `sigs.k8s.io/gateway-api` into
 * kubeconform's layout: one standalone (every $ref inlined), strict (closed objects) file per kind,
 * named `<kind>-<group>-<version>.json`, under `<cache>/k8s-schemas/v<version>/`.
 *
 * The modules are fetched with `go mod download` (the Go module proxy is reachable) into the module
 * cache that scripts/go-tool.sh uses; only the converted schemas are kept in our cache.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

type Schema = Record<string, any>;

/** Bump when the conversion changes: cached schemas with another stamp are regenerated. */
export const CONVERTER_VERSION = 3;

export const VERSIONS: { kubernetes: string[]; gatewayApi: string } = JSON.parse(readFileSync(join(__dirname, '../versions.json'), 'utf8'));

export function cacheRoot(): string {
  return process.env.TODO_CACHE_DIR || '/var/cache/todo-platform';
}

export function schemaDir(version: string, root = cacheRoot()): string {
  return join(root, 'k8s-schemas', `v${version}`);
}

/** kubeconform -schema-location template for the layout this module writes. */
export function schemaLocation(root = cacheRoot()): string {
  return `${join(root, 'k8s-schemas')}/{{.NormalizedKubernetesVersion}}/{{.ResourceKind}}{{.KindSuffix}}.json`;
}

/** kubeconform's file name of a kind: <kind>-<first label of the group>-<version>, or <kind>-<version> for the core group. */
export function schemaFileName(kind: string, group: string, version: string): string {
  const g = group ? `-${group.split('.')[0].toLowerCase()}` : '';
  return `${kind.toLowerCase()}${g}-${version.toLowerCase()}.json`;
}

const INT_OR_STRING = { oneOf: [{ type: 'string' }, { type: 'integer' }] };
const QUANTITY = { oneOf: [{ type: 'string' }, { type: 'number' }] };
const SPECIAL: Record<string, Schema> = {
  'io.k8s.apimachinery.pkg.util.intstr.IntOrString': INT_OR_STRING,
  'io.k8s.apimachinery.pkg.api.resource.Quantity': QUANTITY,
};

/** An optional field may be null in YAML (the API server treats it as unset). */
function nullable(s: Schema): Schema {
  if (typeof s.type === 'string') return { ...s, type: [s.type, 'null'] };
  if (Array.isArray(s.oneOf)) return { ...s, oneOf: [...s.oneOf, { type: 'null' }] };
  return s;
}

/**
 * One schema node, standalone and strict: $refs inlined (a ref already being expanded becomes {} to
 * end recursion, e.g. JSONSchemaProps), int-or-string and quantities as oneOf, objects with
 * properties closed (additionalProperties: false), x-kubernetes-* extensions, descriptions and
 * formats dropped.
 */
export function convertNode(node: Schema, defs: Record<string, Schema>, stack: string[] = []): Schema {
  if (node.$ref) {
    const name = String(node.$ref).split('/').pop()!;
    if (SPECIAL[name]) return { ...SPECIAL[name] };
    if (stack.includes(name) || !defs[name]) return {};
    return convertNode(defs[name], defs, [...stack, name]);
  }
  if (node['x-kubernetes-int-or-string'] || node.format === 'int-or-string') return { ...INT_OR_STRING };
  const out: Schema = {};
  for (const [k, v] of Object.entries(node)) {
    if (k.startsWith('x-kubernetes-') || k === 'description' || k === 'format' || k === 'default' || k === 'example') continue;
    if (k === 'properties') {
      const required: string[] = node.required ?? [];
      out.properties = Object.fromEntries(
        Object.entries(v as Record<string, Schema>).map(([p, s]) => {
          const converted = convertNode(s, defs, stack);
          return [p, required.includes(p) ? converted : nullable(converted)];
        }),
      );
    } else if (k === 'items' || (k === 'additionalProperties' && typeof v === 'object')) {
      out[k] = convertNode(v as Schema, defs, stack);
    } else if (k === 'allOf' || k === 'anyOf' || k === 'oneOf') {
      out[k] = (v as Schema[]).map((s) => convertNode(s, defs, stack));
    } else if (k === 'not') {
      out[k] = convertNode(v as Schema, defs, stack);
    } else {
      out[k] = v;
    }
  }
  const open = node['x-kubernetes-preserve-unknown-fields'] === true;
  if (out.properties && out.additionalProperties === undefined && !open) out.additionalProperties = false;
  if (open && out.properties === undefined && out.type === undefined) out.type = 'object';
  return out;
}

export interface GeneratedSchema {
  file: string;
  schema: Schema;
}

/** Every kind of the OpenAPI v2 spec (definitions with x-kubernetes-group-version-kind). */
export function convertSwagger(swagger: { definitions: Record<string, Schema> }): GeneratedSchema[] {
  const defs = swagger.definitions;
  const out: GeneratedSchema[] = [];
  for (const [name, def] of Object.entries(defs)) {
    const gvks: Array<{ group: string; version: string; kind: string }> = def['x-kubernetes-group-version-kind'] ?? [];
    // List kinds and the meta types every group registers (WatchEvent, DeleteOptions) are not resources we render.
    for (const gvk of gvks.filter((g) => !g.kind.endsWith('List') && !['WatchEvent', 'DeleteOptions', 'Status', 'APIVersions', 'APIGroup', 'APIGroupList', 'APIResourceList'].includes(g.kind))) {
      const schema = convertNode(def, defs, [name]);
      out.push({ file: schemaFileName(gvk.kind, gvk.group, gvk.version), schema: { $schema: 'http://json-schema.org/draft-07/schema#', ...schema } });
    }
  }
  return out;
}

/** The served versions of a CRD (YAML text). */
export function convertCrd(text: string): GeneratedSchema[] {
  const crd = parse(text);
  return (crd.spec.versions as any[])
    .filter((v) => v.served)
    .map((v) => ({
      file: schemaFileName(crd.spec.names.kind, crd.spec.group, v.name),
      schema: { $schema: 'http://json-schema.org/draft-07/schema#', ...convertNode(v.schema.openAPIV3Schema, {}) },
    }));
}

/** `go mod download -json <module>@<version>` into the shared module cache; returns the module's directory. */
export function goModDownload(module: string, version: string): string {
  const env = {
    ...process.env,
    GOMODCACHE: process.env.GOMODCACHE || join(cacheRoot(), 'go-mod'),
    GOFLAGS: '-mod=mod',
    GO111MODULE: 'on',
  };
  const r = spawnSync('go', ['mod', 'download', '-json', `${module}@${version}`], { encoding: 'utf8', env, cwd: '/', maxBuffer: 16 * 1024 * 1024 });
  if (r.error) throw new Error(`go is needed to fetch ${module}@${version} from the Go module proxy (${r.error.message}); install Go 1.24+`);
  let info: { Dir?: string; Error?: string } = {};
  try {
    info = JSON.parse(r.stdout);
  } catch {
    /* reported below */
  }
  if (r.status !== 0 || !info.Dir) throw new Error(`go mod download ${module}@${version} failed: ${info.Error ?? r.stderr.trim()}`);
  return info.Dir;
}

export interface EnsureResult {
  dir: string;
  generated: boolean;
  files: number;
}

/**
 * The schemas of one Kubernetes version (plus the Gateway API HTTPRoute), generated once into the
 * cache. A `.complete` stamp names the converter and source versions; anything else is regenerated.
 */
export function ensureSchemas(version: string, options: { root?: string; log?: (line: string) => void } = {}): EnsureResult {
  const root = options.root ?? cacheRoot();
  const dir = schemaDir(version, root);
  const stamp = `converter ${CONVERTER_VERSION}; k8s.io/kubernetes v${version}; sigs.k8s.io/gateway-api ${VERSIONS.gatewayApi}\n`;
  const stampFile = join(dir, '.complete');
  if (existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp)
    return { dir, generated: false, files: readdirSync(dir).filter((f) => f.endsWith('.json')).length };
  options.log?.(`generating Kubernetes ${version} JSON schemas into ${dir} (once)`);
  const k8s = goModDownload('k8s.io/kubernetes', `v${version}`);
  const gateway = goModDownload('sigs.k8s.io/gateway-api', VERSIONS.gatewayApi);
  const schemas = [
    ...convertSwagger(JSON.parse(readFileSync(join(k8s, 'api/openapi-spec/swagger.json'), 'utf8'))),
    ...convertCrd(readFileSync(join(gateway, 'config/crd/standard/gateway.networking.k8s.io_httproutes.yaml'), 'utf8')),
  ];
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  for (const s of schemas) writeFileSync(join(tmp, s.file), JSON.stringify(s.schema));
  writeFileSync(join(tmp, '.complete'), stamp);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(root, 'k8s-schemas'), { recursive: true });
  renameSync(tmp, dir);
  return { dir, generated: true, files: schemas.length };
}
