/* The smoke check: where the ingress listens per cluster type, and the two GETs through it (a stand-in ingress on loopback). */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MINIKUBE_ENV, stepSuite } from '../../__tests__/deploy-workspace';
import { appUrl, ingressAddress, smokeStep } from './smoke';

const t = stepSuite(MINIKUBE_ENV);

it('the ingress address: kind and minikube publish it on the host, a context environment is reached at its host name', () => {
  process.env.KIND_HTTP_PORT = '18080';
  const local = t.run('local');
  expect([ingressAddress(local), appUrl(local)]).toEqual([{ address: '127.0.0.1', port: 18080 }, 'http://todo.localhost:18080/']);
  const prod = t.run('prod');
  expect([ingressAddress(prod), appUrl(prod)]).toEqual([{ address: 'todo.example.com', port: 80 }, 'http://todo.example.com/']);
  expect(ingressAddress(t.run('mini')).address).toBe('127.0.0.1');
});

it('passes when the frontend renders /login and only the backend answers /api/tasks (401), through the ingress host', async () => {
  const hosts: string[] = [];
  const server = createServer((req, res) => {
    hosts.push(`${req.headers.host} ${req.url}`);
    res.writeHead(req.url === '/login' ? 200 : req.url === '/api/tasks' ? 401 : 404);
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    process.env.KIND_HTTP_PORT = String((server.address() as AddressInfo).port);
    const c = t.run('local');
    expect((await smokeStep.needed(c)).reason).toBe(`GET /login (200), /api/tasks (401) on ${appUrl(c)} through the ingress`);
    expect(await smokeStep.run(c)).toBe(true);
    expect(hosts.sort()).toEqual(['todo.localhost /api/tasks', 'todo.localhost /login']);
  } finally {
    server.close();
  }
});
