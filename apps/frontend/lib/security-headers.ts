/**
 * Response headers that harden every page and API answer of this origin.
 *
 * The CSP keeps scripts, styles, images and requests to this origin and forbids framing (clickjacking):
 * `frame-ancestors 'none'`. Next's App Router writes its hydration data as inline scripts, hence
 * 'unsafe-inline' for scripts (no user content is ever rendered as HTML); `next dev` also needs eval.
 */
const dev = process.env.NODE_ENV === 'development';

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  `script-src 'self' 'unsafe-inline'${dev ? " 'unsafe-eval'" : ''}`,
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  `connect-src 'self'${dev ? ' ws: wss:' : ''}`,
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export const SECURITY_HEADERS = [
  { key: 'Content-Security-Policy', value: CONTENT_SECURITY_POLICY },
  { key: 'Referrer-Policy', value: 'strict-origin-when-cross-origin' },
  { key: 'X-Content-Type-Options', value: 'nosniff' },
  { key: 'X-Frame-Options', value: 'DENY' },
];

/** Two years, subdomains included: what the HSTS preload list asks for. */
export const STRICT_TRANSPORT_SECURITY = 'max-age=63072000; includeSubDomains';

/** FORCE_HTTPS=true (the chart sets it when the ingress serves TLS): redirect HTTP, send HSTS. */
export function httpsOnly(): boolean {
  const v = process.env.FORCE_HTTPS?.trim().toLowerCase();
  return v === 'true' || v === '1';
}

/**
 * What FORCE_HTTPS asks of one request, from the scheme the ingress saw (X-Forwarded-Proto; Traefik
 * overwrites what a client sends, and Next's server fills in "http" when it is missing): HSTS for HTTPS,
 * a permanent redirect for anything else. The health check is not routed here (proxy.ts's matcher), so
 * kubelet probes and the helm test, which call the pod directly over HTTP, are never redirected.
 */
export function httpsDecision(headers: Headers, url: string): { redirect?: string; hsts: boolean } {
  if (!httpsOnly()) return { hsts: false };
  const proto = headers.get('x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase();
  if (proto !== 'https') {
    const u = new URL(url);
    const host = headers.get('x-forwarded-host')?.split(',')[0]?.trim() || headers.get('host') || u.host;
    return { redirect: `https://${host.replace(/:80$/, '')}${u.pathname}${u.search}`, hsts: false };
  }
  return { hsts: proto === 'https' };
}
