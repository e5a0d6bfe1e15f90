// Readiness probe, answered by the frontend itself (never proxied to the backend). Separate from
// /api/health (liveness) so the two probes can differ: the readiness probe is strict (a pod whose event
// loop is too busy to answer within its timeout leaves the Service until it catches up), the liveness
// probe lenient (only a server that stays silent for a minute is restarted). See the chart's deployment.
export const dynamic = 'force-dynamic';

export function GET(): Response {
  return Response.json({ status: 'ready' }, { headers: { 'cache-control': 'no-store' } });
}
