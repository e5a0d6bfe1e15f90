/** The options of deploy-<env>: the deploy's own (src/deploy/run.ts). */
export type { DeployOptions as DeployExecutorSchema } from '../../deploy/run';
