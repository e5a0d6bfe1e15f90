/**
 * The deploy as a library (what deploy-<env> and the dev loop share):
 *   deployEnvironment(options, workspace)   the whole chain for an environment
 *   new DeployRun(options, workspace[, {runner, spawn}])  one run's shared state, for running single
 *                                           steps (a test gives recorders for its processes)
 *   runSteps(steps, run)                    any steps, in order, each skipped when not needed
 *   runStepsReadingAhead(steps, run, …)     the same, the checks' reads started together (read-ahead.ts)
 */
export { DeployRun } from './run';
export type { DeployOptions, DeployProcesses, DeployTools, NodeImage, ServiceImage, Spawner, Workspace } from './run';
export { deployEnvironment, deploySteps, describeFailure, runStepsReadingAhead } from './deploy';
export type { DeployResult } from './deploy';
export { resolveDeployOptions } from './options';
export type { ResolvedDeployOptions } from './options';
export { housekeeping } from './housekeeping';
export { runSteps } from './step';
export type { Step, StepCheck, StepTiming, StepsResult } from './step';
export { toolsStep } from './steps/tools';
export { clusterStep } from './steps/cluster';
export { namespaceStep } from './steps/namespace';
export { buildStep } from './steps/build';
export { loadStep } from './steps/load';
export { nodesMissing, registryHas } from './steps/image-presence';
export { otherImagesStep } from './steps/other-images';
export { chartImageSets, digestFor, imageRefs, releaseStep, upgradeArgs } from './steps/release';
export { SMOKE_CHECKS, appUrl, ingressAddress, smokeStep } from './steps/smoke';
