'use strict';
// A private RabbitMQ node (Debian's rabbitmq-server) for one demo run: its own node name, AMQP
// port, distribution port, epmd port, Erlang cookie, and data, log and config files, all under
// one directory. It never touches the machine's rabbitmq-server service or its files in
// /etc/rabbitmq and /var/lib/rabbitmq.

const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const crypto = require('node:crypto');
const { setTimeout: delay } = require('node:timers/promises');

const SERVER = process.env.DEMO_RABBITMQ_SERVER || '/usr/lib/rabbitmq/bin/rabbitmq-server';
const EPMD = process.env.DEMO_EPMD || 'epmd';

// A port that is free now (the kernel's choice for port 0).
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

// Whether an AMQP connection (handshake included) to `url` succeeds now: RabbitMQ accepts TCP
// connections before it is ready to serve them.
async function amqpAccepts(url) {
  const amqp = require('amqplib');
  try {
    const connection = await amqp.connect(url);
    await connection.close();
    return true;
  } catch (e) {
    return false;
  }
}

class PrivateRabbitMq {
  // dir: where everything of this node lives (created if missing).
  constructor({ dir, amqpPort = 0 }) {
    this.dir = dir;
    this.requestedPort = amqpPort;
    this.child = null;
    this.exit = null;
  }

  get url() { return `amqp://guest:guest@127.0.0.1:${this.amqpPort}`; }
  get logFile() { return path.join(this.dir, 'log', 'rabbit.log'); }

  async writeFiles() {
    for (const sub of ['home', 'mnesia', 'log', 'plugins-expand']) {
      fs.mkdirSync(path.join(this.dir, sub), { recursive: true });
    }
    const cookie = path.join(this.dir, 'home', '.erlang.cookie');
    fs.rmSync(cookie, { force: true });
    fs.writeFileSync(cookie, crypto.randomBytes(20).toString('hex').toUpperCase(), { mode: 0o400 });
    // An empty private rabbitmq-env.conf, so /etc/rabbitmq/rabbitmq-env.conf is not read.
    fs.writeFileSync(path.join(this.dir, 'rabbitmq-env.conf'), '# private node of deploy/demo/run\n');
    fs.writeFileSync(path.join(this.dir, 'rabbitmq.conf'), [
      `listeners.tcp.default = 127.0.0.1:${this.amqpPort}`,
      'log.console = false',
      'log.file.level = info',
      // A demo must not stop publishers because the disk is nearly full.
      'disk_free_limit.absolute = 10MB',
      '',
    ].join('\n'));
    fs.writeFileSync(path.join(this.dir, 'enabled_plugins'), '[].\n');
  }

  environment() {
    const env = {};
    for (const [key, value] of Object.entries(process.env)) {
      if (!key.startsWith('RABBITMQ_') && !key.startsWith('ERL_')) env[key] = value;
    }
    const d = (sub) => path.join(this.dir, sub);
    return Object.assign(env, {
      HOME: d('home'),  // the Erlang cookie: $HOME/.erlang.cookie
      RABBITMQ_CONF_ENV_FILE: d('rabbitmq-env.conf'),
      RABBITMQ_NODENAME: this.nodeName,
      RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
      RABBITMQ_NODE_PORT: String(this.amqpPort),
      RABBITMQ_DIST_PORT: String(this.distPort),
      ERL_EPMD_PORT: String(this.epmdPort),
      ERL_EPMD_ADDRESS: '127.0.0.1',
      RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '-kernel inet_dist_use_interface {127,0,0,1}',
      RABBITMQ_MNESIA_BASE: d('mnesia'),
      RABBITMQ_LOG_BASE: d('log'),
      RABBITMQ_LOGS: this.logFile,
      RABBITMQ_CONFIG_FILE: d('rabbitmq.conf'),
      RABBITMQ_ADVANCED_CONFIG_FILE: d('advanced.config'),
      RABBITMQ_ENABLED_PLUGINS_FILE: d('enabled_plugins'),
      RABBITMQ_PLUGINS_EXPAND_DIR: d('plugins-expand'),
      RABBITMQ_FEATURE_FLAGS_FILE: d('feature_flags'),
      RABBITMQ_PID_FILE: d('rabbit.pid'),
    });
  }

  // Starts the node and resolves once it accepts AMQP connections. Rejects (with the end of
  // its log) if it exits first or is not ready within `timeoutMs`; resolves early when
  // `signal` aborts (the caller then stops the node).
  async start({ timeoutMs = 120000, signal } = {}) {
    if (!fs.existsSync(SERVER)) {
      throw new Error(`${SERVER} not found: install Debian's rabbitmq-server ` +
                      '(apt-get install rabbitmq-server, or scripts/install-deps --test)');
    }
    this.amqpPort = this.requestedPort || await freePort();
    this.distPort = await freePort();
    this.epmdPort = await freePort();
    this.nodeName = `spanvault-demo-${process.pid}-${this.amqpPort}@localhost`;
    await this.writeFiles();
    const out = fs.openSync(path.join(this.dir, 'log', 'server.out'), 'a');
    // Its own process group, so a Ctrl-C in the terminal reaches only deploy/demo/run, which
    // then stops the node in order.
    this.child = spawn(SERVER, [], {
      cwd: this.dir, env: this.environment(), detached: true, stdio: ['ignore', out, out],
    });
    fs.closeSync(out);
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => {
      this.exit = { code, signal };
      resolve(this.exit);
    }));
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.exit) throw new Error(`RabbitMQ exited during start-up (${JSON.stringify(this.exit)}):\n${this.logTail()}`);
      if ((signal && signal.aborted) || await amqpAccepts(this.url)) return this;
      if (Date.now() > deadline) {
        throw new Error(`RabbitMQ did not accept connections within ${timeoutMs} ms:\n${this.logTail()}`);
      }
      await delay(250);  // poll interval
    }
  }

  logTail(lines = 30) {
    const read = (f) => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : '');
    const text = read(path.join(this.dir, 'log', 'server.out')) + read(this.logFile);
    return text.split('\n').slice(-lines).join('\n');
  }

  // SIGTERM to rabbitmq-server (it stops the node gracefully), wait up to `timeoutMs`, then
  // SIGKILL the node's process group. Finally stops this node's private epmd.
  async stop({ timeoutMs = 30000 } = {}) {
    if (this.child && !this.exit) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.killGroup(), timeoutMs);
      await this.exited;
      clearTimeout(timer);
    }
    this.killGroup();
    this.stopEpmd();
  }

  // Synchronous last resort (also from process.on('exit')): SIGKILL whatever of the node's
  // process group is left, and its epmd.
  killGroup() {
    if (!this.child || !this.child.pid) return;
    try { process.kill(-this.child.pid, 'SIGKILL'); } catch (e) { /* already gone */ }
  }

  stopEpmd() {
    if (!this.epmdPort) return;
    spawnSync(EPMD, ['-kill'], { env: { ...process.env, ERL_EPMD_PORT: String(this.epmdPort) }, stdio: 'ignore' });
    this.epmdPort = null;
  }
}

module.exports = { PrivateRabbitMq, freePort };
