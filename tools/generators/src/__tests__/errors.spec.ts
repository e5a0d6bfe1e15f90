/*
 * One family of errors (@todo/cluster PlatformError: step, cause, fix): the generators' OptionError,
 * the templates' TemplateInputError and ClusterError are all members; the deploy prints a member as
 * text and anything else (a bug) with its stack. The cluster field is one rule: the schema of
 * environments.json holds @todo/cluster's pattern.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLUSTER_FIELD_PATTERN, ClusterError, PlatformError, parseClusterField } from '@todo/cluster';
import { TemplateInputError, render } from '@todo/k8s-templates';
import { describeFailure } from '../deploy';
import { environmentOrThrow, seedConfig } from '../platform/config';
import { OptionError, checkCluster } from '../platform/validate';

describe('the family of errors', () => {
  it('OptionError, TemplateInputError and ClusterError share PlatformError (step, cause, fix)', () => {
    const option = new OptionError('Invalid --keep=x', 'use a whole number');
    expect(option).toBeInstanceOf(PlatformError);
    expect([option.step, option.cause, option.fix, option.message]).toEqual(['options', 'Invalid --keep=x', 'use a whole number', 'Invalid --keep=x: use a whole number']);
    let template: unknown;
    try {
      render('k8s/namespace.yaml', { name: 'Bad', environment: 'local' });
    } catch (e) {
      template = e;
    }
    expect(template).toBeInstanceOf(TemplateInputError);
    expect(template).toBeInstanceOf(PlatformError);
    expect((template as TemplateInputError).message).toMatch(/^name: "Bad" is not valid; expected a DNS-1123 label/);
    expect((template as TemplateInputError).fix).toMatch(/^expected a DNS-1123 label/);
    expect(new ClusterError('load', 'c', 'f')).toBeInstanceOf(PlatformError);
  });

  it('describeFailure prints a member as text (a ClusterError as step, cause and fix), and anything else with its stack', () => {
    expect(describeFailure(new OptionError('Invalid --keep=x', 'use a whole number'))).toBe('deploy: Invalid --keep=x: use a whole number');
    expect(describeFailure(new ClusterError('load', 'the node is gone', 'deploy again'))).toBe('deploy: error in step "load"\n  cause: the node is gone\n  fix:   deploy again');
    const bug = new TypeError('x is undefined');
    expect(describeFailure(bug)).toBe(`deploy: ${bug.stack}`);
    // a plain Error is not one of ours either: it is a bug and keeps its stack
    const plain = new Error('boom');
    expect(describeFailure(plain)).toBe(`deploy: ${plain.stack}`);
  });

  it('an unknown environment has one wording wherever it is found', () => {
    let fromConfig: unknown;
    try {
      environmentOrThrow(seedConfig(), 'qa');
    } catch (e) {
      fromConfig = e;
    }
    expect(fromConfig).toBeInstanceOf(ClusterError);
    expect((fromConfig as ClusterError).cause).toBe('no environment "qa" in environments.json (known: local, dev)');
  });
});

describe('the cluster field: one rule', () => {
  const schema = JSON.parse(readFileSync(join(__dirname, '../../environments.schema.json'), 'utf8'));
  const pattern: string = schema.properties.environments.additionalProperties.properties.cluster.pattern;

  it("environments.schema.json's pattern is @todo/cluster's CLUSTER_FIELD_PATTERN", () => {
    expect(pattern).toBe(CLUSTER_FIELD_PATTERN.source);
  });

  it.each(['kind', 'minikube', 'context:kind-x', 'context:arn:aws:eks:eu-west-1:1:cluster/x', 'k3d', 'context:', 'context:my cluster'])(
    '%s: the schema, the parser, --cluster and the template input agree',
    (value) => {
      const valid = new RegExp(pattern).test(value);
      const accepted = (fn: () => unknown) => {
        try {
          fn();
          return true;
        } catch (e) {
          expect(e).toBeInstanceOf(PlatformError);
          return false;
        }
      };
      expect(accepted(() => parseClusterField(value))).toBe(valid);
      expect(accepted(() => checkCluster(value))).toBe(valid);
      const environment = { name: 'qa', namespace: 'todo-qa', cluster: value, host: 'qa.todo.localhost', replicas: 1, database: 'postgres' as const, ai: 'mock' as const };
      const chart = { chart: { name: 'todo', version: '0.1.0', appVersion: '0.1.0', kubeVersion: '>=1.33.0-0', description: 'd' }, services: [{ name: 'backend', type: 'fastapi' as const, port: 8000, asgiApp: 'todo_api.main:app' }] };
      expect(accepted(() => render('env/values.yaml', { ...chart, environment }))).toBe(valid);
    },
  );
});
