'use strict';
// The lifecycle every demo service shares. The service is started by deploy/demo/run (a child
// process with an IPC channel): it answers 'stats' and 'configure' messages, and on 'stop',
// SIGTERM or SIGINT it closes what it opened, exports its remaining spans and exits 0.

const telemetry = require('./telemetry');

// `hooks`: { stop(): Promise, stats(): object, configure(msg) }. Call once the service listens.
function run(name, hooks) {
  let stopping = null;
  const stop = () => {
    if (!stopping) {
      stopping = (async () => {
        try {
          await hooks.stop();
        } catch (e) {
          console.error(`${name}: stopping: ${e.stack || e}`);
        }
        await telemetry.shutdown();
        process.exit(0);
      })();
    }
    return stopping;
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('message', (msg) => {
    if (msg.type === 'stop') stop();
    if (msg.type === 'stats') process.send({ type: 'stats', id: msg.id, stats: hooks.stats ? hooks.stats() : {} });
    if (msg.type === 'configure' && hooks.configure) {
      hooks.configure(msg);
      process.send({ type: 'configured', id: msg.id });
    }
  });
  // The parent went away without stopping us: do not linger.
  process.on('disconnect', stop);
}

function ready(info) {
  if (process.send) process.send({ type: 'ready', ...info });
}

// Fails fast with the service's name when a required variable is missing.
function env(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

module.exports = { run, ready, env };
