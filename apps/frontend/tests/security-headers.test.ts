/**
 * @jest-environment node
 *
 * The headers every answer carries (next.config.ts) and the HTTPS rules of proxy.ts (FORCE_HTTPS).
 */
import { NextRequest } from 'next/server';
import nextConfig from '@/next.config';
import { config, proxy } from '@/proxy';

describe('security headers', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('every path gets a CSP that forbids framing, and a Referrer-Policy', async () => {
    const rules = await nextConfig.headers!();
    expect(rules).toHaveLength(1);
    expect(rules[0].source).toBe('/:path*');
    const headers = Object.fromEntries(rules[0].headers.map((h) => [h.key.toLowerCase(), h.value]));
    expect(headers['content-security-policy']).toMatch(/(^|; )frame-ancestors 'none'(;|$)/);
    expect(headers['content-security-policy']).toMatch(/(^|; )default-src 'self'(;|$)/);
    expect(headers['content-security-policy']).toMatch(/(^|; )object-src 'none'(;|$)/);
    expect(headers['referrer-policy']).toBe('strict-origin-when-cross-origin');
  });

  const request = (url: string, headers: Record<string, string> = {}) => new NextRequest(url, { headers });

  it('without FORCE_HTTPS: no redirect, no HSTS', () => {
    const res = proxy(request('http://todo.localhost/tasks', { 'x-forwarded-proto': 'http' }));
    expect(res.status).toBe(200);
    expect(res.headers.get('strict-transport-security')).toBeNull();
  });

  it('with FORCE_HTTPS (the ingress serves TLS): HTTP is redirected to HTTPS (308), HTTPS answers carry HSTS', () => {
    process.env.FORCE_HTTPS = 'true';
    const redirect = proxy(request('http://todo.example:3000/tasks?x=1', { 'x-forwarded-proto': 'http', 'x-forwarded-host': 'todo.example' }));
    expect(redirect.status).toBe(308);
    expect(redirect.headers.get('location')).toBe('https://todo.example/tasks?x=1');
    const secure = proxy(request('http://todo.example:3000/tasks', { 'x-forwarded-proto': 'https' }));
    expect(secure.status).toBe(200);
    expect(secure.headers.get('strict-transport-security')).toBe('max-age=63072000; includeSubDomains');
    // Next's server fills in X-Forwarded-Proto: http when it is missing; that is plain HTTP too.
    expect(proxy(request('http://todo.example:3000/tasks')).status).toBe(308);
  });

  it('the health and readiness checks (kubelet probes, the helm test) are not routed through it', () => {
    const matcher = new RegExp(`^${config.matcher[0]}$`);
    expect(matcher.test('/api/health')).toBe(false);
    expect(matcher.test('/api/ready')).toBe(false);
    expect(matcher.test('/_next/static/chunks/app.js')).toBe(false);
    for (const path of ['/', '/tasks', '/login', '/api/tasks', '/api/auth/login', '/api/healthz', '/api/readyz']) expect(matcher.test(path)).toBe(true);
  });
});
