/**
 * @todo/cluster: the only way to a cluster. Everything outside tools/cluster imports from here
 * (`import { ... } from '@todo/cluster'`); a deep import into src/ is refused by the ESLint
 * boundary rule (eslint.config.mjs).
 */
export { clusterFor, parseClusterField, readEnvironments, DEFAULT_CLUSTER_NAME } from './environments';
export type { ClusterTarget } from './environments';
export { ClusterError, dockerNotRunning, toolMissing, clusterMissing, portInUse } from './errors';
export { run, must } from './exec';
export type { RunResult, Runner } from './exec';
export { resolveTool, installTool, installAll, onPath } from './tools';
export { ingressManifests, deploymentsIn } from './ingress';
export type { IngressManifests } from './ingress';
export { kindOptions, kindUp, kindDown, kindStatus, kindClusters, assertHealthy } from './kind';
export type { KindOptions, Tools, StatusCheck } from './kind';
export { kindConfig, kindConfigYaml, INGRESS_NODE_PORTS } from './kind-config';
export type { KindConfigOptions } from './kind-config';
export { minikubeImageLoadArgs, minikubeOptions, minikubeStartArgs, minikubeStatusArgs, minikubeDeleteArgs } from './minikube';
export type { MinikubeOptions } from './minikube';
export { ensureEncryptionConfig, clusterStateDir, removeClusterState, ENCRYPTED_PREFIX, NODE_ENCRYPTION_DIR } from './encryption';
export { checkDocker, checkPorts, portFree } from './preflight';
export { versions, stateDir, toolsDir, TOOL_NAMES } from './versions';
export type { ToolName } from './versions';
