/**
 * What a policy rule is (an id, where it comes from, a check over the rendered objects that returns
 * findings naming the object, the container and what to change), and the helpers the rule sets share.
 */
import { ContainerRef, K8sObject, PodTemplate, containers, id, podTemplate } from '../manifests';

export type RuleSource = 'pss-baseline' | 'pss-restricted' | 'kube-linter' | 'platform';

export interface Finding {
  rule: string;
  object: string;
  container?: string;
  message: string;
}

export interface Rule {
  id: string;
  source: RuleSource;
  description: string;
  check(objects: K8sObject[]): Finding[];
}

export function pods(objects: K8sObject[]): PodTemplate[] {
  return objects.map(podTemplate).filter((p): p is PodTemplate => p !== undefined);
}

export function allContainers(objects: K8sObject[]): ContainerRef[] {
  return pods(objects).flatMap(containers);
}

/** A rule over every container of every pod template. */
export function perContainer(id_: string, source: RuleSource, description: string, test: (c: ContainerRef) => string | undefined): Rule {
  return {
    id: id_,
    source,
    description,
    check: (objects) =>
      allContainers(objects).flatMap((c) => {
        const message = test(c);
        return message ? [{ rule: id_, object: id(c.pod.owner), container: c.container.name, message }] : [];
      }),
  };
}

/** A rule over every pod template. */
export function perPod(id_: string, source: RuleSource, description: string, test: (p: PodTemplate) => string | undefined): Rule {
  return {
    id: id_,
    source,
    description,
    check: (objects) =>
      pods(objects).flatMap((p) => {
        const message = test(p);
        return message ? [{ rule: id_, object: id(p.owner), message }] : [];
      }),
  };
}

/** A container's effective security setting: its own, else the pod's. */
export function effective(c: ContainerRef, key: string): any {
  const own = c.container.securityContext?.[key];
  return own !== undefined ? own : c.pod.spec.securityContext?.[key];
}

export function volumesOf(p: PodTemplate): any[] {
  return p.spec.volumes ?? [];
}

export const volumeType = (v: any) => Object.keys(v).find((k) => k !== 'name') ?? '(none)';

export function hostPaths(p: PodTemplate): string[] {
  return volumesOf(p)
    .filter((v) => v.hostPath)
    .map((v) => String(v.hostPath.path));
}
