/*
 * Starts the real backend and frontend servers on loopback for end-to-end tests.
 * Each server gets a free port, its output is kept so a failing test can show it,
 * and it is stopped (SIGTERM, then SIGKILL) when the test ends.
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, existsSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const workspaceRoot = resolve(__dirname, '../../..');

export interface RunningServer {
  url: string;
  output: () => string;
  stop: () => Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

async function waitForHttp(url: string, child: ChildProcess, output: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`server exited with code ${child.exitCode} before ${url} answered:\n${output()}`);
    }
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${url}:\n${output()}`);
}

export async function startServer(opts: {
  command: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  readyUrl: string;
  url: string;
  timeoutMs?: number;
}): Promise<RunningServer> {
  const child = spawn(opts.command, opts.args, {
    cwd: opts.cwd,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let log = '';
  child.stdout?.on('data', (d) => (log += d.toString()));
  child.stderr?.on('data', (d) => (log += d.toString()));
  const output = () => log.slice(-8000);
  const stop = async () => {
    if (child.exitCode !== null || child.pid === undefined) return;
    const exited = new Promise((r) => child.once('exit', r));
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      return;
    }
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }, 5000);
    await exited;
    clearTimeout(timer);
  };
  try {
    await waitForHttp(opts.readyUrl, child, output, opts.timeoutMs ?? 60_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url: opts.url, output, stop };
}

/** The backend as production runs it: migrations first, then uvicorn without reload. */
export async function startBackend(): Promise<RunningServer> {
  const backendDir = join(workspaceRoot, 'apps/backend');
  const python = join(backendDir, '.venv/bin/python');
  if (!existsSync(python)) {
    throw new Error(`${python} is missing: run "npx nx run backend:setup" first`);
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'todo-e2e-'));
  const env = {
    DATABASE_URL: `sqlite:///${join(dataDir, 'todo.db')}`,
    JWT_SECRET: 'e2e-only-secret-not-used-anywhere-else',
    APP_ENV: 'production',
    AI_PROVIDER: 'mock',
    LOG_LEVEL: 'warning',
  };
  // The database's folder goes with the server (one was left in /tmp per run).
  const removeData = () => rmSync(dataDir, { recursive: true, force: true });
  try {
    const migrate = spawnSync(python, ['-m', 'todo_api.migrate'], { cwd: backendDir, env: { ...process.env, ...env }, encoding: 'utf8' });
    if (migrate.status !== 0) {
      throw new Error(`migrations failed (exit ${migrate.status}):\n${migrate.stdout}\n${migrate.stderr}`);
    }
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const server = await startServer({
      command: python,
      args: ['-m', 'uvicorn', 'todo_api.main:app', '--host', '127.0.0.1', '--port', String(port)],
      cwd: backendDir,
      env,
      readyUrl: `${url}/readyz`,
      url,
    });
    return { ...server, stop: async () => (await server.stop(), removeData()) };
  } catch (err) {
    removeData();
    throw err;
  }
}

/** The frontend's standalone production server (the same server.js the image runs). */
export async function startFrontend(backendUrl: string): Promise<RunningServer> {
  const server = join(workspaceRoot, 'apps/frontend/.next/standalone/apps/frontend/server.js');
  if (!existsSync(server)) {
    throw new Error(`${server} is missing: run "npx nx run frontend:build" first`);
  }
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  return startServer({
    command: process.execPath,
    args: [server],
    cwd: join(workspaceRoot, 'apps/frontend/.next/standalone/apps/frontend'),
    env: { PORT: String(port), HOSTNAME: '127.0.0.1', BACKEND_URL: backendUrl, NODE_ENV: 'production', NEXT_TELEMETRY_DISABLED: '1' },
    readyUrl: `${url}/api/health`,
    url,
  });
}
