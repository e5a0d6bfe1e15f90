/** @todo/generators: the platform's local Nx plugin. Generators and executors are listed in generators.json / executors.json. */
export { createNodes } from './plugin';
