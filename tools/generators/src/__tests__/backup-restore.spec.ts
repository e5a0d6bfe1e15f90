/*
 * backup-<env> and restore-<env> against recording stand-ins for helm and kubectl. The restore's
 * `helm template` runs the real Helm 4 on the chart `nx g chart` renders (into a temp workspace, not
 * the checked-in charts/todo: that is the todo project's, checked by its drift target), so the Job
 * that kubectl would create is the chart's own restore Job, rendered with the values `helm get values` returns.
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExecutorContext } from '@nx/devkit';
import { parse, parseAllDocuments, stringify } from 'yaml';
import backupExecutor from '../executors/backup/executor';
import { findHelmMajor } from '@todo/cluster';
import { releaseFullname, runId } from '../release/jobs';
import restoreExecutor from '../executors/restore/executor';
import { OptionError } from '../platform/validate';
import { seededTree, writeToDisk } from './trees';

const WORKSPACE = join(__dirname, '../../../..');
const dir = mkdtempSync(join(tmpdir(), 'backup-restore-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const log = join(dir, 'calls.log');
const created = join(dir, 'created.yaml');
/** The second `kubectl create -f -` of a restore: the migrate Job. */
const migrateCreated = join(dir, 'created-migrate.yaml');
const values = join(dir, 'release-values.yaml');

function fake(name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/usr/bin/env bash\necho "${name} $*" >> "${log}"\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

const helm = fake(
  'helm',
  `case "$1" in
  version) printf '%s' "v4.3.1"; exit 0 ;;
  get) cat "${values}"; exit 0 ;;
  template) exec "$REAL_HELM" "$@" ;;
esac`,
);
const kubectl = fake(
  'kubectl',
  `case "$*" in
  *"create -f -"*) if [ -s "${created}" ]; then cat > "${migrateCreated}"; else cat > "${created}"; fi ;;
  *"create job"*) exit "\${FAKE_CREATE_EXIT:-0}" ;;
  *"get job"*) echo "\${FAKE_JOB_STATUS:-1/}" ;;
  *"get deployment"*) printf 2 ;;
  *"logs"*) echo "pg_restore: done" ;;
esac`,
);

const context = { root: dir, cwd: dir, isVerbose: false } as unknown as ExecutorContext;
const calls = () => readFileSync(log, 'utf8').trim().split('\n');

/** What `helm get values --all` returns for a deployed release: values.yaml + values-local.yaml, backups on or off. */
function releaseValues(backup: boolean) {
  const v = parse(readFileSync(join(dir, 'charts/todo/values.yaml'), 'utf8'));
  v.global.environment = 'local';
  v.backup.enabled = backup;
  v.services.backend.image.tag = 'content-abc123';
  writeFileSync(values, stringify(v));
}

beforeAll(async () => {
  process.env.REAL_HELM = findHelmMajor(WORKSPACE, 'helm4').bin;
  // environments.json (seeded: local, dev, prod), charts/todo and apps/*-image, as `nx g chart` writes them.
  const tree = await seededTree();
  writeToDisk(dir, tree);
}, 600_000);

beforeEach(() => {
  writeFileSync(log, '');
  writeFileSync(created, '');
  writeFileSync(migrateCreated, '');
  releaseValues(true);
  process.env.HELM = helm;
  process.env.KUBECTL = kubectl;
  delete process.env.FAKE_JOB_STATUS;
  delete process.env.FAKE_CREATE_EXIT;
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
});
afterEach(() => jest.restoreAllMocks());

it('names: the chart fullname rule and a sortable run id', () => {
  expect(releaseFullname('todo', 'todo')).toBe('todo');
  expect(releaseFullname('blue', 'todo')).toBe('blue-todo');
  expect(runId(new Date('2026-11-26T10:15:00Z'))).toBe('20261126-101500');
});

describe('restore', () => {
  it('renders the chart restore Job with the release values and creates it: the schema replaced by the newest dump in one transaction', async () => {
    await expect(restoreExecutor({ environment: 'local' }, context)).resolves.toEqual({ success: true });
    const c = calls();
    expect(c).toContain('helm get values todo --kube-context kind-todo --namespace todo-local --all --output yaml');
    const template = c.find((l) => l.startsWith('helm template'))!;
    expect(template).toMatch(
      new RegExp(
        `^helm template todo ${dir}/charts/todo --namespace todo-local --kube-version 1\\.34\\.0 -f \\S+/values\\.yaml ` +
          '--set backup.restore.file=latest --set backup.restore.runId=(\\d{8}-\\d{6}) --show-only templates/backup/restore-job.yaml$',
      ),
    );
    const id = /runId=(\d{8}-\d{6})/.exec(template)![1];
    expect(c).toContain('kubectl --context kind-todo --namespace todo-local create -f -');
    expect(c).toContain(`kubectl --context kind-todo --namespace todo-local get job todo-restore-${id} -o jsonpath={.status.succeeded}/{.status.failed}`);
    expect(c).toContain(`kubectl --context kind-todo --namespace todo-local logs job/todo-restore-${id} --all-containers`);
    const [job] = parseAllDocuments(readFileSync(created, 'utf8')).map((d) => d.toJS()).filter(Boolean) as any[];
    expect(job).toMatchObject({ kind: 'Job', metadata: { name: `todo-restore-${id}` } });
    const container = job.spec.template.spec.containers[0];
    expect(container.args[0]).toContain('DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;');
    expect(container.args[0]).toContain('psql --no-psqlrc --quiet --set=ON_ERROR_STOP=1 --single-transaction');
    expect(container.env.find((e: any) => e.name === 'RESTORE_FILE').value).toBe('latest');
    expect(container.image).toBe('postgres:18.1-bookworm');
    expect(job.spec.template.spec.securityContext.runAsNonRoot).toBe(true);
  });

  it('stops the writers (scale to 0, pods gone) before the restore, migrates the restored database in a Job while they are stopped, then scales them back and waits for the rollout', async () => {
    await expect(restoreExecutor({ environment: 'local' }, context)).resolves.toEqual({ success: true });
    const scope = 'kubectl --context kind-todo --namespace todo-local';
    const c = calls().filter((l) => l.startsWith('kubectl') && !l.includes(' get job') && !l.includes(' logs '));
    expect(c).toEqual([
      `${scope} get deployment todo-backend -o jsonpath={.spec.replicas}`,
      `${scope} scale deployment todo-backend --replicas=0`,
      `${scope} wait --for=delete pod -l app.kubernetes.io/instance=todo,app.kubernetes.io/component=backend --timeout=180s`,
      `${scope} create -f -`,
      `${scope} create -f -`,
      `${scope} scale deployment todo-backend --replicas=2`,
      `${scope} rollout status deployment/todo-backend --timeout=600s`,
    ]);
    // The backend's Deployment rendered with the release's values (no lookup: the init containers are in).
    expect(calls()).toContainEqual(expect.stringMatching(/^helm template todo \S+\/charts\/todo --namespace todo-local --kube-version 1\.34\.0 -f \S+\/values\.yaml --show-only templates\/backend\/deployment\.yaml$/));
    const job = parse(readFileSync(migrateCreated, 'utf8'));
    expect(job).toMatchObject({ kind: 'Job', metadata: { name: expect.stringMatching(/^todo-backend-migrate-\d{8}-\d{6}$/) }, spec: { backoffLimit: 0 } });
    const pod = job.spec.template.spec;
    expect(pod.restartPolicy).toBe('Never');
    expect(pod.initContainers.map((i: any) => i.name)).toEqual(['wait-for-database']);
    expect(pod.containers).toHaveLength(1);
    expect(pod.containers[0]).toMatchObject({ name: 'migrate', image: 'todo-backend:content-abc123', command: ['python', '-m', 'todo_api.migrate'] });
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    // The backend's labels, so the database's NetworkPolicy admits it; marked as the migration.
    expect(job.spec.template.metadata.labels).toMatchObject({ 'app.kubernetes.io/component': 'backend', 'todo.dev/operation': 'migrate' });
  });

  it('a migration that fails: the writers still come back, and the run fails saying so', async () => {
    const kubectlFailingMigrate = fake('kubectl-migrate-fails', `case "$*" in
  *"create -f -"*) cat > /dev/null ;;
  *"get job todo-backend-migrate-"*) echo "/1" ;;
  *"get job"*) echo "1/" ;;
  *"get deployment"*) printf 2 ;;
esac`);
    process.env.KUBECTL = kubectlFailingMigrate;
    const printed: string[] = [];
    (console.log as jest.Mock).mockImplementation((line: string) => printed.push(String(line)));
    await expect(restoreExecutor({ environment: 'local' }, context)).resolves.toEqual({ success: false });
    expect(printed.join('\n')).toMatch(/the restored database was not migrated/);
    expect(calls().at(-1)).toContain('rollout status deployment/todo-backend');
  });

  it('--file restores that dump', async () => {
    await restoreExecutor({ environment: 'local', file: 'todo-20261126T030000Z.dump' }, context);
    const job = parse(readFileSync(created, 'utf8'));
    expect(job.spec.template.spec.containers[0].env.find((e: any) => e.name === 'RESTORE_FILE').value).toBe('todo-20261126T030000Z.dump');
  });

  it('fails (with the logs printed) when the Job fails', async () => {
    process.env.FAKE_JOB_STATUS = '/1';
    await expect(restoreExecutor({ environment: 'local' }, context)).resolves.toEqual({ success: false });
    expect(calls().some((l) => l.includes(' logs job/todo-restore-'))).toBe(true);
    // The app comes back even so (the failed restore was one transaction: the data is as before).
    expect(calls().at(-1)).toContain('rollout status deployment/todo-backend');
  });

  it('refuses a bad --file before running anything', async () => {
    await expect(restoreExecutor({ environment: 'local', file: '../etc/passwd' }, context)).rejects.toThrow(/Invalid --file=\.\.\/etc\/passwd/);
    expect(readFileSync(log, 'utf8')).toBe('');
    // a refused flag is the option error of the family (step "options"), like every generator's
    await expect(restoreExecutor({ environment: 'local', file: 'x;y' }, context)).rejects.toBeInstanceOf(OptionError);
  });

  it('says what is wrong when the release has no backups', async () => {
    releaseValues(false);
    await expect(restoreExecutor({ environment: 'local' }, context)).rejects.toThrow(/backup\.enabled is off in release todo/);
    expect(calls().some((l) => l.startsWith('kubectl'))).toBe(false);
  });

  it('--dryRun prints the commands and runs none against the cluster', async () => {
    await expect(restoreExecutor({ environment: 'local', dryRun: true }, context)).resolves.toEqual({ success: true });
    expect(calls().filter((l) => !l.startsWith('helm version'))).toEqual([]);
    expect(existsSync(created) && readFileSync(created, 'utf8')).toBe('');
  });
});

describe('backup', () => {
  it('starts a Job from the release backup CronJob and waits for it', async () => {
    await expect(backupExecutor({ environment: 'dev', release: 'blue' }, context)).resolves.toEqual({ success: true });
    const create = calls().find((l) => l.includes('create job'))!;
    expect(create).toMatch(/^kubectl --context kind-todo --namespace todo-dev create job blue-todo-backup-\d{8}-\d{6} --from=cronjob\/blue-todo-backup$/);
    expect(calls().some((l) => /get job blue-todo-backup-\d{8}-\d{6} -o jsonpath/.test(l))).toBe(true);
  });

  it('fails with a hint when there is no backup CronJob', async () => {
    process.env.FAKE_CREATE_EXIT = '1';
    const lines: string[] = [];
    (console.log as jest.Mock).mockImplementation((l: string) => lines.push(l));
    await expect(backupExecutor({ environment: 'local' }, context)).resolves.toEqual({ success: false });
    expect(lines.join('\n')).toContain('is backup.enabled set for local?');
  });
});
