/** @todo/dashboard: the local web page of dev-<env> and ui-<env> (README.md). */
export * from './state';
export { startDashboardServer, refusal, type ActionRequest, type DashboardServer, type DashboardServerOptions } from './server';
export { parseTop, readDeployRecord } from './sources';
