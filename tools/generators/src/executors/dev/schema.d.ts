/** The options of dev-<env>: the session's own (src/dev/session.ts). */
export type { DevSessionOptions as DevExecutorSchema } from '../../dev/session';
