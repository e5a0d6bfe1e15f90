/*
 * Next's request proxy (the file convention formerly called middleware; not the /api proxy, which is
 * lib/proxy.ts): with FORCE_HTTPS, plain-HTTP requests from the ingress are redirected to HTTPS and
 * HTTPS answers carry Strict-Transport-Security. Read per request: the image is the same with or
 * without TLS.
 */
import { NextResponse, type NextRequest } from 'next/server';
import { STRICT_TRANSPORT_SECURITY, httpsDecision } from './lib/security-headers';

export function proxy(request: NextRequest): NextResponse {
  const decision = httpsDecision(request.headers, request.url);
  if (decision.redirect) return NextResponse.redirect(decision.redirect, 308);
  const response = NextResponse.next();
  if (decision.hsts) response.headers.set('strict-transport-security', STRICT_TRANSPORT_SECURITY);
  return response;
}

// Everything but the health and readiness checks (kubelet probes, the helm test: plain HTTP to the pod) and
// Next's own assets.
export const config = { matcher: ['/((?!api/health$|api/ready$|_next/static/|_next/image).*)'] };
