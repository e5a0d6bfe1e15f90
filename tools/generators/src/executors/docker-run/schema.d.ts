export interface DockerRunExecutorSchema {
  /** Container name (default: the image repository). */
  name?: string;
  /** Image to run; default: the ref in dist/images/<project>.json (written by docker-build). */
  image?: string;
  /** User-defined Docker network the container joins (created when missing). */
  network?: string;
  /** Extra DNS name on that network (e.g. the service name other containers use). */
  networkAlias?: string;
  /** -p mappings; always published on 127.0.0.1 only ("8000:8000" becomes "127.0.0.1:8000:8000"). */
  ports?: string[];
  /** Environment of the container. */
  env?: Record<string, string>;
  /** Variables copied from this process's environment when set (override env). */
  passEnv?: string[];
  /** Variables given a random value per run unless set in this process's environment (e.g. JWT_SECRET). */
  generatedSecrets?: string[];
  /** tmpfs mounts ("/tmp", "/app/.next/cache:uid=10001,gid=10001"). */
  tmpfs?: string[];
  /** -v mounts ("todo-backend-data:/data"). */
  volumes?: string[];
  /** Read-only root filesystem, as the cluster runs it (default true). */
  readOnly?: boolean;
  /** Print the command instead of running it. */
  dryRun?: boolean;
}
