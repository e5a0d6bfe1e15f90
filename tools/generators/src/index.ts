/** @todo/generators: the platform's local Nx plugin. Generators and executors are listed in generators.json / executors.json. */
export { createNodes } from './plugin';
/** The image content key (what docker-build skips on), for the workspace tests that check it does not move. */
export { contentKey } from './images/key';
