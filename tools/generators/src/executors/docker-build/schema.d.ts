/** The options of docker-build: the image build's own (images/build.ts). */
export type { BuildOptions as DockerBuildExecutorSchema } from '../../images/build';
