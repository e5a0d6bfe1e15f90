/** Kubernetes objects as parsed from `helm template` output, and the pod specs inside them. */
import { parseAllDocuments } from 'yaml';

export type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: any;
  data?: Record<string, string>;
  [key: string]: any;
};

export interface PodTemplate {
  /** The object the pod spec belongs to. */
  owner: K8sObject;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  spec: any;
}

/** Parses a multi-document YAML stream; YAML errors throw with the document's position. */
export function parseManifests(text: string, source = 'manifests'): K8sObject[] {
  const objects: K8sObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length) throw new Error(`${source}: ${doc.errors.map((e) => e.message).join('; ')}`);
    const obj = doc.toJS() as K8sObject | null;
    if (obj) objects.push(obj);
  }
  return objects;
}

export const id = (o: K8sObject) => `${o.kind}/${o.metadata?.name}`;

/** The pod template of a Pod or a workload (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob). */
export function podTemplate(o: K8sObject): PodTemplate | undefined {
  const meta = (m: any) => ({ labels: m?.labels ?? {}, annotations: m?.annotations ?? {} });
  switch (o.kind) {
    case 'Pod':
      return { owner: o, ...meta(o.metadata), spec: o.spec ?? {} };
    case 'Deployment':
    case 'StatefulSet':
    case 'DaemonSet':
    case 'ReplicaSet':
    case 'Job':
      return { owner: o, ...meta(o.spec?.template?.metadata), spec: o.spec?.template?.spec ?? {} };
    case 'CronJob':
      return { owner: o, ...meta(o.spec?.jobTemplate?.spec?.template?.metadata), spec: o.spec?.jobTemplate?.spec?.template?.spec ?? {} };
    default:
      return undefined;
  }
}

export interface ContainerRef {
  pod: PodTemplate;
  container: any;
  kind: 'initContainers' | 'containers' | 'ephemeralContainers';
}

export function containers(pod: PodTemplate): ContainerRef[] {
  return (['initContainers', 'containers', 'ephemeralContainers'] as const).flatMap((kind) =>
    ((pod.spec[kind] ?? []) as any[]).map((container) => ({ pod, container, kind })),
  );
}

/** Does a label selector ({matchLabels, matchExpressions}, or a plain map for Services) select these labels? */
export function selects(selector: any, labels: Record<string, string>, plainMap = false): boolean {
  if (!selector) return false;
  const matchLabels: Record<string, string> = plainMap ? selector : selector.matchLabels ?? {};
  const expressions: any[] = plainMap ? [] : selector.matchExpressions ?? [];
  if (Object.keys(matchLabels).length === 0 && expressions.length === 0) return !plainMap;
  for (const [k, v] of Object.entries(matchLabels)) if (labels[k] !== v) return false;
  for (const e of expressions) {
    const has = e.key in labels;
    const value = labels[e.key];
    if (e.operator === 'In' && !(has && e.values.includes(value))) return false;
    if (e.operator === 'NotIn' && has && e.values.includes(value)) return false;
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}
