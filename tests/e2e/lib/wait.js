'use strict';
// Polling with a deadline: the only way the suite waits for state (never a fixed sleep).

const { setTimeout: delay } = require('node:timers/promises');

// Calls `fn` until it returns a truthy value (which is returned) or the deadline passes.
// Exceptions thrown by `fn` count as "not yet"; the last one is reported on timeout.
async function waitFor(fn, { timeoutMs = 15000, intervalMs = 50, what = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  for (;;) {
    try {
      const value = await fn();
      if (value) return value;
      lastError = undefined;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() >= deadline) {
      const why = lastError ? `; last error: ${lastError.stack || lastError}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`);
    }
    await delay(intervalMs);
  }
}

module.exports = { waitFor };
