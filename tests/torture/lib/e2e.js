'use strict';
// The torture reuses the end-to-end tests' helpers (tests/e2e/lib) and their npm packages
// (tests/e2e/node_modules): `require` here resolves from tests/e2e, so both are found without a
// package.json of the torture's own.

const { createRequire } = require('node:module');
const path = require('node:path');

const dir = path.resolve(__dirname, '..', '..', 'e2e');

module.exports = { dir, require: createRequire(path.join(dir, 'package.json')) };
