/**
 * @todo/cluster: the only way to a cluster. Everything outside tools/cluster imports from here
 * (`import { ... } from '@todo/cluster'`); a deep import into src/ is refused by the ESLint
 * boundary rule (eslint.config.mjs).
 *
 *   targetFor(env)              environment name -> cluster, kube context, kubeconfig, helm/kubectl scope args
 *   parseClusterField           the one rule of an environment's cluster field (kind | minikube | context:<name>)
 *   PlatformError               the base of every error the user can act on (step, cause, fix): ClusterError, ...
 *   capture/stream/run/must,    the one process runner (streamAndCapture: terminal and captured output at once)
 *   streamAndCapture
 *   findTool/resolveTool,       the one tool resolver (KUBECTL/HELM, <TOOL>_BIN, PATH, .tools/bin, download);
 *   pinnedTool                  a CLI pinned in scripts/go-tool.sh or scripts/py-tool.sh, installed on first use
 *   findHelm/probeHelm
 *   kindUp/minikubeUp/...       bringing a cluster up, down, checking it
 */
export { targetFor, readEnvironmentsFile } from './target';
export type { EnvTarget, EnvironmentsFile, TargetOptions } from './target';
export { parseClusterField, clusterFieldProblem, unknownEnvironment, CLUSTER_FIELD_PATTERN, DEFAULT_CLUSTER_NAME } from './environments';
export type { ClusterTarget } from './environments';
export { PlatformError, ClusterError, OFFLINE_FIX, dockerNotRunning, toolMissing, clusterMissing, portInUse } from './errors';
export { capture, stream, streamAndCapture, execOrPrint, run, must, commandLine, quote, lastLine } from './exec';
export type { RunResult, RunOptions, Runner } from './exec';
export { findTool, resolveTool, installTool, installAll, onPath, pinnedTool } from './tools';
export { findHelm, findHelmMajor, probeHelm, parseHelmVersion, rollbackOnFailureFlag } from './helm';
export type { Helm } from './helm';
export { ingressManifests, deploymentsIn, httpStatus } from './ingress';
export type { IngressManifests, HttpTarget } from './ingress';
export { metricsApi, metricsServerManifest, imagesToLoad, METRICS_SERVER } from './metrics';
export type { MetricsApi } from './metrics';
export { kindOptions, kindUp, kindDown, kindStatus, kindClusters, assertHealthy } from './kind';
export type { KindOptions, Tools, StatusCheck } from './kind';
export { kindConfig, kindConfigYaml, INGRESS_NODE_PORTS } from './kind-config';
export type { KindConfigOptions } from './kind-config';
export { minikubeUp, minikubeImageLoadArgs, minikubeOptions, minikubeStartArgs, minikubeStatusArgs, minikubeDeleteArgs } from './minikube';
export type { MinikubeOptions } from './minikube';
export { ensureEncryptionConfig, clusterStateDir, removeClusterState, ENCRYPTED_PREFIX, NODE_ENCRYPTION_DIR } from './encryption';
export { checkDocker, checkPorts, portFree } from './preflight';
export { registryOptions, registryGap } from './registry';
export type { RegistryOptions } from './registry';
export { versions, stateDir, toolsDir, TOOL_NAMES } from './versions';
export type { ToolName } from './versions';
