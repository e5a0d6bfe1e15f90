/* Helm's stored releases, read from their Secrets. */
import { releaseSecret } from '../__tests__/deploy-workspace';
import { decodeRelease, digestOf } from './stored';

const manifest = 'kind: Deployment\nmetadata:\n  name: todo-backend\n---\nkind: StatefulSet\nmetadata:\n  name: todo-postgres\n---\nkind: Service\nmetadata:\n  name: todo-backend\n';

it('decodeRelease reads the workloads of a stored release', () => {
  expect(decodeRelease(releaseSecret(7, 'deployed', 'Rollback to 5', manifest, { a: 'b' }))).toEqual({
    revision: 7,
    status: 'deployed',
    labels: expect.objectContaining({ a: 'b' }),
    description: 'Rollback to 5',
    workloads: [
      { kind: 'Deployment', name: 'todo-backend' },
      { kind: 'StatefulSet', name: 'todo-postgres' },
    ],
  });
});

it('digestOf: the deploy digest in a revision description, if any', () => {
  expect(digestOf(`deploy-digest=${'a1'.repeat(20)} (nx deploy-local)`)).toBe('a1'.repeat(20));
  expect(digestOf('Upgrade complete')).toBeUndefined();
  expect(digestOf(undefined)).toBeUndefined();
});
