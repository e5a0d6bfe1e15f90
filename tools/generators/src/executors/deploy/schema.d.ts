/** The options of deploy-<env>: the deploy's own (src/deploy/run.ts), except the dev loop's keepSyncedPods. */
import type { DeployOptions } from '../../deploy/run';
export type DeployExecutorSchema = Omit<DeployOptions, 'keepSyncedPods'>;
