'use strict';
// node:test with one addition: when a test or a before/after hook fails, the output of every
// spanvault started by this file is printed, so the failure can be diagnosed from the test log
// alone. Test files take `test`, `before` and `after` from here.

const nodeTest = require('node:test');
const { dumpAllServerOutput } = require('./server');

const firstLine = (e) => String((e && e.message) || e).split('\n')[0];

nodeTest.afterEach((t) => {
  if (!t.passed) dumpAllServerOutput(`test "${t.name}" failed: ${firstLine(t.error && (t.error.cause || t.error))}`);
});

function wrapHook(kind, fn) {
  return async function hook(...args) {
    try {
      return await fn.apply(this, args);
    } catch (e) {
      dumpAllServerOutput(`${kind} hook failed: ${firstLine(e)}`);
      throw e;
    }
  };
}

const before = (fn, options) => nodeTest.before(wrapHook('before', fn), options);
const after = (fn, options) => nodeTest.after(wrapHook('after', fn), options);

module.exports = { test: nodeTest.test, before, after };
