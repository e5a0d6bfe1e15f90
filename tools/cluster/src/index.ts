/** What the deploy code imports from the cluster tool (relative import: tools/cluster/src). */
export { clusterFor, parseClusterField, DEFAULT_CLUSTER_NAME } from './environments';
export type { ClusterTarget } from './environments';
export { ClusterError } from './errors';
export { resolveTool, installTool, installAll } from './tools';
export { kindOptions, kindUp, kindDown, kindStatus, kindClusters } from './kind';
export { minikubeImageLoadArgs, minikubeOptions, minikubeStartArgs } from './minikube';
export { versions } from './versions';
export type { ToolName } from './versions';
