/**
 * <image project>:docker-run: the image docker-build recorded, run in the foreground the way the
 * cluster runs it (numeric user from the image, read-only root, tmpfs/volumes for the writable
 * paths), ports on 127.0.0.1 only, on a user-defined network so containers reach each other by name.
 * Ctrl-C stops it (docker run forwards the signal; the apps shut down gracefully).
 */
import { randomBytes } from 'node:crypto';
import type { ExecutorContext } from '@nx/devkit';
import { capture, commandLine, stream } from '@todo/cluster';
import { dockerBin, inspectImage } from '../../images/docker';
import { readRecord, recordPath } from '../../images/record';
import type { DockerRunExecutorSchema } from './schema';

/** "8000:8000" -> "127.0.0.1:8000:8000"; an explicit address other than loopback is refused. */
export function loopbackPort(mapping: string): string {
  const parts = mapping.split(':');
  if (parts.length === 2) return `127.0.0.1:${mapping}`;
  if (parts.length === 3 && (parts[0] === '127.0.0.1' || parts[0] === 'localhost')) return `127.0.0.1:${parts[1]}:${parts[2]}`;
  throw new Error(`ports: "${mapping}" must be host:container (published on 127.0.0.1 only)`);
}

export function runArgs(options: DockerRunExecutorSchema, image: string, env: Record<string, string>): string[] {
  const name = options.name ?? image.split(':')[0].split('/').pop()!;
  return [
    'run',
    '--rm',
    '--name',
    name,
    ...(options.network ? ['--network', options.network] : []),
    ...(options.network && options.networkAlias ? ['--network-alias', options.networkAlias] : []),
    ...((options.readOnly ?? true) ? ['--read-only'] : []),
    '--cap-drop=ALL',
    '--security-opt=no-new-privileges',
    ...(options.tmpfs ?? []).flatMap((t) => ['--tmpfs', t]),
    ...(options.volumes ?? []).flatMap((v) => ['-v', v]),
    ...(options.ports ?? []).flatMap((p) => ['-p', loopbackPort(p)]),
    ...Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]),
    image,
  ];
}

export default async function dockerRunExecutor(options: DockerRunExecutorSchema, context: ExecutorContext) {
  const docker = dockerBin();
  const project = context.projectName ?? '';
  try {
    let image = options.image;
    if (!image) {
      const record = readRecord(context.root, project);
      if (!record) throw new Error(`${recordPath(context.root, project)} is missing: run \`npx nx run ${project}:docker-build\` first`);
      image = record.ref;
    }
    if (!options.dryRun && !inspectImage(image, docker))
      throw new Error(`${image} is not in the Docker daemon: run \`npx nx run ${project}:docker-build\``);
    const env: Record<string, string> = { ...(options.env ?? {}) };
    for (const name of options.generatedSecrets ?? []) env[name] = process.env[name] ?? randomBytes(32).toString('base64url');
    for (const name of options.passEnv ?? []) if (process.env[name] !== undefined) env[name] = process.env[name]!;
    const args = runArgs(options, image, env);
    // Generated secrets are never echoed: the printed command shows their names only.
    const shown = args.map((a) => ((options.generatedSecrets ?? []).some((s) => a.startsWith(`${s}=`)) ? `${a.split('=')[0]}=<generated>` : a));
    if (options.dryRun) {
      console.log(`$ ${commandLine(docker, shown)}  (dry run)`);
      return { success: true };
    }
    if (options.network && capture(docker, ['network', 'inspect', options.network]).status !== 0) {
      if (capture(docker, ['network', 'create', options.network]).status !== 0) throw new Error(`docker network create ${options.network} failed`);
      console.log(`Created network ${options.network}.`);
    }
    const name = args[args.indexOf('--name') + 1];
    const existing = capture(docker, ['container', 'inspect', '--format', '{{.State.Running}}', name]);
    if (existing.status === 0) {
      if (existing.stdout.trim() === 'true') throw new Error(`A container named ${name} is already running: stop it with \`docker stop ${name}\``);
      capture(docker, ['rm', name]);
    }
    console.log(`$ ${commandLine(docker, shown)}`);
    const status = stream(docker, args, { quiet: true });
    // 130/143: stopped with Ctrl-C / SIGTERM, which is how a foreground smoke run ends.
    return { success: status === 0 || status === 130 || status === 143 };
  } catch (err) {
    console.error((err as Error).message);
    return { success: false };
  }
}
