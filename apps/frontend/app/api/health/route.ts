// Liveness/readiness probe answered by the frontend itself (never proxied to the backend).
export const dynamic = 'force-dynamic';

export function GET(): Response {
  return Response.json({ status: 'ok' }, { headers: { 'cache-control': 'no-store' } });
}

export function HEAD(): Response {
  return new Response(null, { status: 200, headers: { 'cache-control': 'no-store' } });
}
