/* status-<env>'s load section: metrics joined with requests/limits, restarts, OOM kills, the HPA's why. */
import { containerLoads, hpaReport, loadTable, quantity } from '../release/load';

const pods = JSON.stringify({
  items: [
    {
      metadata: { name: 'todo-backend-7d9f8-abcde' },
      spec: { containers: [{ name: 'backend', resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '512Mi' } } }] },
      status: { containerStatuses: [{ name: 'backend', restartCount: 2, lastState: { terminated: { reason: 'OOMKilled', finishedAt: '2026-12-07T05:00:00Z' } } }] },
    },
    {
      metadata: { name: 'todo-frontend-5c6b7-fghij' },
      spec: { containers: [{ name: 'frontend', resources: { requests: { cpu: '50m', memory: '128Mi' }, limits: { memory: '256Mi' } } }] },
      status: { containerStatuses: [{ name: 'frontend', restartCount: 0, lastState: {} }] },
    },
  ],
});
const metrics = JSON.stringify({
  items: [
    { metadata: { name: 'todo-backend-7d9f8-abcde' }, containers: [{ name: 'backend', usage: { cpu: '80123456n', memory: '131072Ki' } }] },
    { metadata: { name: 'todo-frontend-5c6b7-fghij' }, containers: [{ name: 'frontend', usage: { cpu: '5m', memory: '64Mi' } }] },
  ],
});

it('reads Kubernetes quantities', () => {
  expect(quantity('80123456n')).toBeCloseTo(0.080123456, 12);
  expect([quantity('250m'), quantity('2'), quantity('64Mi'), quantity('131072Ki'), quantity('1G'), quantity('x'), quantity(undefined)]).toEqual([
    0.25, 2, 64 * 2 ** 20, 128 * 2 ** 20, 1e9, undefined, undefined,
  ]);
});

it('prints CPU and memory of each container against its requests and limit, restarts and the last OOM kill', () => {
  const lines = loadTable(containerLoads(pods, metrics), true);
  expect(lines[0].split(/\s{2,}/)).toEqual(['POD', 'CONTAINER', 'CPU', 'REQUEST', '%REQ', 'MEMORY', 'REQUEST/LIMIT', '%REQ', '%LIMIT', 'RESTARTS', 'LAST OOM KILL']);
  expect(lines[1].split(/\s{2,}/)).toEqual(['todo-backend-7d9f8-abcde', 'backend', '80m', '100m', '80%', '128Mi', '256Mi/512Mi', '50%', '25%', '2', '2026-12-07T05:00:00Z']);
  expect(lines[2].split(/\s{2,}/)).toEqual(['todo-frontend-5c6b7-fghij', 'frontend', '5m', '50m', '10%', '64Mi', '128Mi/256Mi', '50%', '25%', '0', '-']);
  expect(lines).toHaveLength(3);
});

it('without a metrics API: restarts and OOM kills still, and how to get the metrics', () => {
  const lines = loadTable(containerLoads(pods, undefined), false);
  expect(lines[1].split(/\s{2,}/)).toEqual(['todo-backend-7d9f8-abcde', 'backend', '-', '100m', '-', '-', '256Mi/512Mi', '-', '-', '2', '2026-12-07T05:00:00Z']);
  expect(lines[lines.length - 1]).toMatch(/no metrics API on this cluster \(`nx run cluster:cluster-up` installs metrics-server/);
});

it('prints each HPA: current and desired replicas, bounds, the metric against its target, and its conditions', () => {
  const hpa = JSON.stringify({
    items: [
      {
        metadata: { name: 'todo-backend' },
        spec: { minReplicas: 1, maxReplicas: 4, metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }] },
        status: {
          currentReplicas: 2,
          desiredReplicas: 3,
          lastScaleTime: '2026-12-07T05:01:00Z',
          currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 140, averageValue: '140m' } } }],
          conditions: [
            { type: 'AbleToScale', status: 'True', reason: 'SucceededRescale', message: 'the HPA controller was able to update the target scale to 3' },
            { type: 'ScalingLimited', status: 'False', reason: 'DesiredWithinRange', message: 'the desired count is within the acceptable range' },
          ],
        },
      },
    ],
  });
  expect(hpaReport(hpa)).toEqual([
    'HPA todo-backend: 2 replicas, desired 3 (min 1, max 4); cpu 140% of requests (target 50%); last scaled 2026-12-07T05:01:00Z',
    '  AbleToScale=True SucceededRescale: the HPA controller was able to update the target scale to 3',
    '  ScalingLimited=False DesiredWithinRange: the desired count is within the acceptable range',
  ]);
  expect(hpaReport('{"items":[]}')).toEqual(['no HorizontalPodAutoscaler (services.<name>.autoscaling.enabled is false in this environment)']);
});
