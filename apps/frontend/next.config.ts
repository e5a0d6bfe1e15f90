import path from 'node:path';
import type { NextConfig } from 'next';
import { SECURITY_HEADERS } from './lib/security-headers';

// The Nx workspace root: the monorepo's lockfile and hoisted node_modules live there.
const workspaceRoot = path.resolve(__dirname, '../..');

const nextConfig: NextConfig = {
  // `.next/standalone/apps/frontend/server.js` plus only the traced node_modules: what the image ships.
  output: 'standalone',
  outputFileTracingRoot: workspaceRoot,
  turbopack: { root: workspaceRoot },
  // No next/image in this app: skip the optimizer and keep sharp/libvips (~20 MB) out of the standalone output.
  images: { unoptimized: true },
  outputFileTracingExcludes: {
    '*': ['../../node_modules/sharp/**', '../../node_modules/@img/**'],
  },
  poweredByHeader: false,
  // On every response: the CSP (no framing, scripts and requests from this origin only) and Referrer-Policy.
  // HSTS and the HTTP->HTTPS redirect depend on the deployment (FORCE_HTTPS), so proxy.ts adds them.
  async headers() {
    return [{ source: '/:path*', headers: SECURITY_HEADERS }];
  },
  reactStrictMode: true,
};

export default nextConfig;
