'use strict';
// deploy/demo/run: the order pipeline against a running spanvault. Starts a private RabbitMQ
// node and the four services, drives orders through them, waits until every order that can
// finish has finished, stops everything and prints where to look in the Jaeger UI.
// `deploy/demo/run --help` and deploy/demo/README.md list the options.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { fork } = require('node:child_process');
const { setTimeout: delay } = require('node:timers/promises');
const { PrivateRabbitMq } = require('./rabbitmq');
const { parseShares, prng, FaultPlan, FAULTS } = require('./faults');
const { driveLoad } = require('./load');

const DEFAULT_FAULTS = 'lost=0.02,delayed=0.05,seller-5xx=0.03,mes-error=0.02,broken-propagation=0.1';
const USAGE = `usage: deploy/demo/run --spanvault URL [options]

  --spanvault URL         spanvault's OTLP/HTTP receiver, e.g. http://127.0.0.1:4318
                          (spans go to URL/v1/traces; a URL ending in /v1/traces is used as is)
  --orders-per-min N      order rate (default 60)
  --for DURATION          how long to place orders: 500ms, 30s, 10m, 1h (default 10m)
  --ground-truth FILE     JSON lines, one per order (default ./order-demo-ground-truth.jsonl)
  --faults SPEC           shares of orders per fault, e.g. lost=0.1,delayed=0.05 or none
                          (faults: ${FAULTS.join(', ')};
                          default ${DEFAULT_FAULTS})
  --queue-delay DURATION  how long a delayed order waits in RabbitMQ (default 20s)
  --broken-link           a broken-propagation consumer links to the producer span
                          (default: no link; only order_id joins the two traces)
  --seed N                the fault plan and order data from this seed (default: random)
  --ui URL                the Jaeger UI, for the printed links (default: http://<host>:16686)
  --work-dir DIR          keep RabbitMQ's data and the services' logs in DIR
                          (default: a temporary directory, removed at the end)
  --amqp-port N           RabbitMQ's AMQP port (default: a free port)
`;

function fail(message) {
  process.stderr.write(`run: ${message}\n\n${USAGE}`);
  process.exit(2);
}

function parseDuration(text, flag) {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(String(text));
  if (!m) fail(`${flag}: "${text}" is not a duration like 500ms, 30s, 10m or 1h`);
  return Math.round(Number(m[1]) * { ms: 1, s: 1000, m: 60000, h: 3600000 }[m[2]]);
}

function parseArgs(argv) {
  const o = {
    ordersPerMin: 60, durationMs: 600000, groundTruth: 'order-demo-ground-truth.jsonl',
    faults: DEFAULT_FAULTS, queueDelayMs: 20000, brokenLink: false, seed: null, amqpPort: 0,
  };
  const value = (i, flag) => {
    if (i + 1 >= argv.length) fail(`${flag} needs a value`);
    return argv[i + 1];
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    switch (flag) {
      case '--help': case '-h': process.stdout.write(USAGE); process.exit(0); break;
      case '--spanvault': o.spanvault = value(i++, flag); break;
      case '--orders-per-min': o.ordersPerMin = Number(value(i++, flag)); break;
      case '--for': o.durationMs = parseDuration(value(i++, flag), flag); break;
      case '--ground-truth': o.groundTruth = value(i++, flag); break;
      case '--faults': o.faults = value(i++, flag); break;
      case '--queue-delay': o.queueDelayMs = parseDuration(value(i++, flag), flag); break;
      case '--broken-link': o.brokenLink = true; break;
      case '--seed': o.seed = Number(value(i++, flag)); break;
      case '--ui': o.ui = value(i++, flag); break;
      case '--work-dir': o.workDir = value(i++, flag); break;
      case '--amqp-port': o.amqpPort = Number(value(i++, flag)); break;
      default: fail(`unknown argument "${flag}"`);
    }
  }
  if (!o.spanvault) fail('--spanvault URL is required');
  let base;
  try {
    base = new URL(o.spanvault);
  } catch (e) {
    fail(`--spanvault: "${o.spanvault}" is not a URL`);
  }
  o.tracesUrl = base.pathname.endsWith('/v1/traces') ? base.href : new URL('v1/traces', base.href.replace(/\/?$/, '/')).href;
  o.ui = (o.ui || `http://${base.hostname}:16686`).replace(/\/$/, '');
  if (!(o.ordersPerMin > 0)) fail('--orders-per-min must be a positive number');
  if (o.seed === null) o.seed = Math.floor(Math.random() * 2 ** 31);
  if (!Number.isInteger(o.seed)) fail('--seed must be an integer');
  if (!Number.isInteger(o.amqpPort) || o.amqpPort < 0 || o.amqpPort > 65535) fail('--amqp-port must be a port');
  try {
    o.shares = parseShares(o.faults);
  } catch (e) {
    fail(e.message);
  }
  return o;
}

// One service: a node child process with an IPC channel, logging to <work dir>/<name>.log.
class ServiceProcess {
  constructor(name, dir, env) {
    this.name = name;
    this.logFile = path.join(dir, `${name}.log`);
    const log = fs.openSync(this.logFile, 'a');
    this.child = fork(path.join(__dirname, '..', 'services', `${name}.js`), [], {
      env: { ...process.env, OTEL_SERVICE_NAME: name, OTEL_SEMCONV_STABILITY_OPT_IN: 'http/dup', ...env },
      stdio: ['ignore', log, log, 'ipc'],
      detached: true,  // Ctrl-C reaches run only; run stops the services in order
    });
    fs.closeSync(log);
    this.exit = null;
    this.nextId = 1;
    this.waiting = new Map();
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => {
      this.exit = { code, signal };
      for (const { reject } of this.waiting.values()) reject(new Error(`${name} exited (${JSON.stringify(this.exit)})`));
      this.waiting.clear();
      resolve(this.exit);
    }));
    this.ready = new Promise((resolve, reject) => {
      this.child.on('message', (msg) => {
        if (msg.type === 'ready') resolve(msg);
        const waiter = msg.id && this.waiting.get(msg.id);
        if (waiter) {
          this.waiting.delete(msg.id);
          waiter.resolve(msg);
        }
      });
      this.exited.then((exit) => reject(new Error(`${name} exited during start-up (${JSON.stringify(exit)}):\n${this.logTail()}`)));
    });
  }

  ask(message) {
    if (this.exit) return Promise.reject(new Error(`${this.name} is not running`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.child.send({ ...message, id });
    });
  }

  logTail(lines = 30) {
    return fs.existsSync(this.logFile) ? fs.readFileSync(this.logFile, 'utf8').split('\n').slice(-lines).join('\n') : '';
  }

  // Asks the service to stop (it exports its last spans); SIGKILL after `timeoutMs`.
  async stop(timeoutMs = 20000) {
    if (this.exit) return this.exit;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const exit = await this.exited;
    clearTimeout(timer);
    return exit;
  }
}

// Starts the services into `services` (so that a failed start still stops the ones that
// started) and resolves with them and shop-api's URL.
async function startServices(o, dir, amqpUrl, services) {
  const common = { DEMO_OTLP_TRACES_URL: o.tracesUrl, DEMO_AMQP_URL: amqpUrl, DEMO_PORT: '0' };
  const startOne = async (name, env) => {
    services[name] = new ServiceProcess(name, dir, { ...common, ...env });
    return `http://127.0.0.1:${(await services[name].ready).port}`;
  };
  const mesUrl = await startOne('mes-api', {});
  const sellerUrl = await startOne('seller-sim', { DEMO_MES_URL: mesUrl });
  await services['mes-api'].ask({ type: 'configure', sellerUrl });
  const crmUrl = await startOne('crm-api', {
    DEMO_QUEUE_DELAY_MS: String(o.queueDelayMs), DEMO_BROKEN_LINK: o.brokenLink ? '1' : '0',
  });
  const shopUrl = await startOne('shop-api', { DEMO_CRM_URL: crmUrl });
  return { services, shopUrl };
}

// Polls until mes-api has handled every message that will reach it and the sellers have made
// their calls, or the deadline passes (then says what is missing).
async function drain(services, expectedConsumed, timeoutMs, signal) {
  const deadline = Date.now() + timeoutMs;
  let last = null;
  while (!signal.aborted) {
    const mes = (await services['mes-api'].ask({ type: 'stats' })).stats;
    const seller = (await services['seller-sim'].ask({ type: 'stats' })).stats;
    last = { handled: mes.handled, expectedConsumed, sellerInflight: seller.inflight };
    if (mes.handled >= expectedConsumed && seller.inflight === 0) return true;
    if (Date.now() > deadline) {
      console.error(`run: not every order finished within ${timeoutMs} ms: ${JSON.stringify(last)}`);
      return false;
    }
    await delay(200);  // poll interval
  }
  return false;
}

function jaegerSearch(ui, service, tags) {
  const params = new URLSearchParams({ service, limit: '20', lookback: '1h' });
  if (tags) params.set('tags', JSON.stringify(tags));
  return `${ui}/search?${params}`;
}

function printSummary(o, records) {
  const byFault = {};
  for (const r of records) byFault[r.fault] = (byFault[r.fault] || 0) + 1;
  const example = (fault) => records.find((r) => r.fault === fault && r.http_status === 201);
  const lines = [
    `run: placed ${records.length} orders (${Object.entries(byFault).map(([f, n]) => `${f}: ${n}`).join(', ')})`,
    `run: ground truth in ${path.resolve(o.groundTruth)} (seed ${o.seed})`,
    `run: look in the Jaeger UI at ${o.ui}:`,
    `  every order:         ${jaegerSearch(o.ui, 'shop-api')}`,
    `  errors:              ${jaegerSearch(o.ui, 'mes-api', { error: 'true' })}`,
  ];
  const examples = {
    none: 'a normal order', lost: 'a lost order', delayed: 'a delayed order', 'seller-5xx': 'a seller 5xx',
    'mes-error': 'an MES error', 'broken-propagation': 'a broken trace',
  };
  for (const [fault, label] of Object.entries(examples)) {
    const r = example(fault);
    if (r) lines.push(`  ${`${label}:`.padEnd(20)} ${jaegerSearch(o.ui, 'crm-api', { order_id: r.order_id })} (order_id=${r.order_id})`);
  }
  console.log(lines.join('\n'));
}

// Places the orders and waits until the ones that can finish have finished. Resolves with the
// ground-truth records and whether every order was accepted and finished in time.
async function placeOrders(o, services, shopUrl, signal) {
  const runId = `${Date.now().toString(36)}${o.seed.toString(36).slice(-3)}`;
  console.log(`run: placing ${o.ordersPerMin} orders/min for ${o.durationMs / 1000}s ` +
              `(faults ${o.faults}, seed ${o.seed}), spans to ${o.tracesUrl}`);
  const random = prng(o.seed);
  const records = await driveLoad({
    shopUrl, ordersPerMin: o.ordersPerMin, durationMs: o.durationMs,
    plan: new FaultPlan(o.shares, random), random, queueDelayMs: o.queueDelayMs, runId,
    groundTruthFile: o.groundTruth, signal, log: (m) => console.error(`run: ${m}`),
  });
  const accepted = records.every((r) => r.http_status === 201);
  if (signal.aborted) {
    console.error('run: interrupted: orders still in flight (delayed ones in particular) were not finished');
    return { records, ok: accepted };
  }
  const expectedConsumed = records.filter((r) => r.http_status === 201 && r.fault !== 'lost').length;
  console.log(`run: waiting for the last orders to be consumed (${expectedConsumed} messages)`);
  const drained = await drain(services, expectedConsumed, o.queueDelayMs + 60000, signal);
  return { records, ok: accepted && drained };
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const dir = o.workDir ? path.resolve(o.workDir) : fs.mkdtempSync(path.join(os.tmpdir(), 'spanvault-demo-'));
  fs.mkdirSync(dir, { recursive: true });
  const state = {
    rabbit: new PrivateRabbitMq({ dir: path.join(dir, 'rabbitmq'), amqpPort: o.amqpPort }),
    services: {},
    abort: new AbortController(),
    exitCode: 0,  // 130/143 after a signal
  };
  handleSignals(state);
  let failed = false;  // then keep the logs
  try {
    console.log(`run: starting RabbitMQ (a private node in ${state.rabbit.dir})`);
    await state.rabbit.start({ signal: state.abort.signal });
    if (state.abort.signal.aborted) return state.exitCode;
    console.log(`run: RabbitMQ accepts connections on 127.0.0.1:${state.rabbit.amqpPort}; starting the services`);
    const { services, shopUrl } = await startServices(o, dir, state.rabbit.url, state.services);
    const { records, ok } = await placeOrders(o, services, shopUrl, state.abort.signal);
    failed = !ok;
    await stopAll(state.services, state.rabbit);
    printSummary(o, records);
  } catch (e) {
    console.error(`run: ${e.stack || e}`);
    for (const s of Object.values(state.services)) {
      if (s.exit && s.exit.code) console.error(`----- ${s.name} log -----\n${s.logTail()}`);
    }
    failed = true;
  } finally {
    await stopAll(state.services, state.rabbit);
    if (!o.workDir && !failed) fs.rmSync(dir, { recursive: true, force: true });
    if (failed) console.error(`run: logs kept in ${dir}`);
  }
  return state.exitCode || (failed ? 1 : 0);
}

// SIGINT/SIGTERM: stop placing orders and stop everything in order; a second signal kills
// everything at once. Whatever way run ends, nothing it started is left running.
function handleSignals(state) {
  const onSignal = (name, code) => {
    if (state.abort.signal.aborted) {
      killAll(state.services, state.rabbit);
      process.exit(code);
    }
    console.error(`run: ${name}: stopping`);
    state.exitCode = code;
    state.abort.abort();
  };
  process.on('SIGINT', () => onSignal('SIGINT', 130));
  process.on('SIGTERM', () => onSignal('SIGTERM', 143));
  process.on('exit', () => killAll(state.services, state.rabbit));
}

// Stops the services in the order the traffic flows (each exports its last spans), then
// RabbitMQ. Safe to call twice.
async function stopAll(services, rabbit) {
  for (const name of ['shop-api', 'crm-api', 'mes-api', 'seller-sim']) {
    const s = services[name];
    if (!s) continue;
    const exit = await s.stop();
    if (exit.code !== 0 && !s.reported) {
      s.reported = true;
      console.error(`run: ${name} exited with ${JSON.stringify(exit)}:\n${s.logTail()}`);
    }
  }
  await rabbit.stop();
}

// Synchronous last resort when run itself exits early.
function killAll(services, rabbit) {
  for (const s of Object.values(services)) if (!s.exit) s.child.kill('SIGKILL');
  rabbit.killGroup();
  rabbit.stopEpmd();
}

main().then((code) => process.exit(code));
