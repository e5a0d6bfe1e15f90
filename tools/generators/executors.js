/**
 * The executors' entry point (executors.json: "./executors.js#<name>"), in plain CommonJS so Nx
 * require()s it instead of loading TypeScript itself.
 *
 * Why: Nx 23 loads a TypeScript executor through its TS fallback when Node's own type stripping is off
 * (NODE_OPTIONS=--no-experimental-strip-types, see the README), and that fallback also registers an ESM
 * loader with module.register(), which Node 26 deprecates (DEP0205): the task printed
 * "DeprecationWarning: module.register() is deprecated" into the user's output. Here the executor is
 * compiled by @swc-node/register's require hook (the same transpiler Nx uses, and what the workspace's
 * own CLIs start with: `node -r @swc-node/register ...`), with the paths of tsconfig.base.json, and
 * no ESM loader is registered. Each executor is loaded on first use, as Nx would.
 */
'use strict';
const { join } = require('node:path');

let registered = false;

function load(name) {
  if (!registered) {
    const { register } = require('@swc-node/register/register');
    const { readDefaultTsConfig } = require('@swc-node/register/read-default-tsconfig');
    register(readDefaultTsConfig(join(__dirname, '..', '..', 'tsconfig.base.json')));
    registered = true;
  }
  const mod = require(`./src/executors/${name}/executor.ts`);
  return mod.default ?? mod;
}

for (const name of Object.keys(require('./executors.json').executors))
  Object.defineProperty(exports, name, { enumerable: true, get: () => load(name) });
