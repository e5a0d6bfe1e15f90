export interface DockerBuildExecutorSchema {
  /** Image repository, e.g. todo-backend. */
  image: string;
  /** Dockerfile, relative to the workspace root. */
  dockerfile: string;
  /** Build context, relative to the workspace root (default "."). */
  context?: string;
  /** Environment the image is built for: tag v<version>-<environment> and build argument BUILD_ENV (default "local"). */
  environment?: string;
  /** Key of this image's bases in $TODO_BASE_IMAGES (python, node). */
  baseFlavor?: string;
  /** Extra build arguments (part of the content key). */
  buildArgs?: Record<string, string>;
  /** Version for the v<version>-<env> tag and the label (default: the root package.json's version). */
  version?: string;
  /** PEM bundle passed as build secret ca_bundle (default: $TODO_BUILD_CA_BUNDLE, $NODE_EXTRA_CA_CERTS or $SSL_CERT_FILE when set). */
  caBundle?: string;
  /** Dockerfile stage to build (--target, part of the content key); default: the last stage (the production image). */
  target?: string;
  /** Build even when the content tag is already in the daemon. */
  force?: boolean;
  /** Print what would run. */
  dryRun?: boolean;
}
