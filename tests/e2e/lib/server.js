'use strict';
// Starts the real spanvault binary on port 0 everywhere, with a fresh data directory, and reads
// the bound addresses from --ports-file. Each server gets its own temporary directory: the data
// directory is <tmp>/data, so the embedded default encryption key lands in <tmp>/spanvault.key
// (beside the data directory) and never in a directory other servers share.

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { waitFor } = require('./wait');

const PORT_KEYS = ['otlp_grpc', 'otlp_http', 'query_http', 'admin_http'];
const MAX_LOG_BYTES = 4 << 20;

// Every server started by this process, so a failing test can print their output.
const registry = new Set();

// Never leave a server behind, whatever way this process ends.
process.on('exit', () => {
  for (const server of registry) {
    if (server.running) server.child.kill('SIGKILL');
  }
});

function binaryPath() {
  const bin = process.env.SPANVAULT_BIN;
  if (!bin) {
    throw new Error('SPANVAULT_BIN is not set: point it at the built spanvault binary ' +
                    '(e.g. build/<dir>/server/spanvault)');
  }
  if (!fs.existsSync(bin)) throw new Error(`SPANVAULT_BIN=${bin} does not exist`);
  return bin;
}

// spanvaultctl: $SPANVAULT_CTL, else beside the server in the same build directory
// (<build>/server/spanvault → <build>/cli/spanvaultctl).
function ctlPath() {
  const ctl = process.env.SPANVAULT_CTL ||
      path.join(path.dirname(binaryPath()), '..', 'cli', 'spanvaultctl');
  if (!fs.existsSync(ctl)) {
    throw new Error(`spanvaultctl not found at ${ctl}: build it (ninja spanvaultctl) or set SPANVAULT_CTL`);
  }
  return ctl;
}

function artifactsDir() {
  const dir = process.env.SPANVAULT_ARTIFACTS || path.join(os.tmpdir(), 'spanvault-e2e-artifacts');
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

class SpanvaultServer {
  // name: label used in logs; uiDir: --ui-dir; args: extra flags (`extraArgs` may be changed
  // between starts); env: extra environment variables; tls: the HTTP listeners serve https
  // (the TLS flags themselves go in `args`).
  constructor({ name = 'spanvault', uiDir, args = [], env = {}, tls = false } = {}) {
    this.name = name;
    this.scheme = tls ? 'https' : 'http';
    this.uiDir = uiDir;
    this.extraArgs = args;
    this.env = env;
    this.rootDir = fs.mkdtempSync(path.join(os.tmpdir(), 'spanvault-e2e-'));
    this.dataDir = path.join(this.rootDir, 'data');
    // Where spanvault creates its default key when none is configured.
    this.defaultKeyFile = path.join(this.rootDir, 'spanvault.key');
    this.portsFile = path.join(this.rootDir, 'ports.json');
    this.child = null;
    this.ports = null;
    this.log = [];
    this.logBytes = 0;
    this.starts = 0;
    registry.add(this);
  }

  get running() {
    return this.child !== null && this.exit === null;
  }

  appendLog(prefix, chunk) {
    const text = chunk.toString('utf8');
    this.log.push(text.split('\n').map((l) => (l ? `${prefix}${l}` : l)).join('\n'));
    this.logBytes += text.length;
    while (this.logBytes > MAX_LOG_BYTES && this.log.length > 1) {
      this.logBytes -= this.log.shift().length;
    }
  }

  // The server's output so far (stdout and stderr, interleaved as received).
  output() {
    return this.log.join('');
  }

  // Prints the server's output (its last `maxLines` lines) to stderr.
  dumpOutput(reason, maxLines = 400) {
    const lines = this.output().split('\n');
    const shown = lines.length > maxLines
        ? [`... (${lines.length - maxLines} earlier lines omitted)`, ...lines.slice(-maxLines)]
        : lines;
    process.stderr.write(
        `\n----- ${this.name} (data dir ${this.dataDir}) output, ${reason} -----\n` +
        `${shown.join('\n')}\n----- end of ${this.name} output -----\n`);
  }

  // `expectExit`: the server may exit during start-up (do not print its output for that).
  async start({ timeoutMs = 30000, expectExit = false } = {}) {
    if (this.running) throw new Error(`${this.name} is already running`);
    // The ports file is rewritten at each start; never read the previous one.
    fs.rmSync(this.portsFile, { force: true });
    this.ports = null;
    this.exit = null;
    this.expectExit = expectExit;
    this.starts += 1;
    const args = [
      '--data-dir', this.dataDir,
      '--otlp-grpc-addr', '127.0.0.1:0',
      '--otlp-http-addr', '127.0.0.1:0',
      '--query-http-addr', '127.0.0.1:0',
      '--admin-http-addr', '127.0.0.1:0',
      '--admin-grpc-addr', '127.0.0.1:0',
      '--query-grpc-addr', '127.0.0.1:0',
      '--remote-storage-addr', '127.0.0.1:0',
      '--ports-file', this.portsFile,
    ];
    if (this.uiDir) args.push('--ui-dir', this.uiDir);
    args.push(...this.extraArgs);
    this.appendLog('', `===== start #${this.starts}: spanvault ${args.join(' ')}\n`);
    const child = spawn(binaryPath(), args, {
      stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...this.env },
    });
    this.child = child;
    child.stdout.on('data', (d) => this.appendLog('', d));
    child.stderr.on('data', (d) => this.appendLog('[stderr] ', d));
    this.exited = new Promise((resolve) => {
      // 'close', not 'exit': by then all of its output has been read.
      child.on('close', (code, signal) => {
        this.exit = { code, signal };
        this.appendLog('', `===== exited: code=${code} signal=${signal}\n`);
        if (!this.expectExit) this.dumpOutput(`died unexpectedly (code=${code} signal=${signal})`);
        resolve(this.exit);
      });
    });
    child.on('error', (e) => this.appendLog('[spawn error] ', `${e.stack || e}\n`));
    let ready;
    try {
      ready = await waitFor(() => {
        if (this.exit) return { exited: true };
        if (!fs.existsSync(this.portsFile)) return null;
        const ports = JSON.parse(fs.readFileSync(this.portsFile, 'utf8'));
        return PORT_KEYS.every((k) => typeof ports[k] === 'string') ? { ports } : null;
      }, { timeoutMs, what: `${this.name} to write its ports file` });
    } catch (e) {
      this.dumpOutput('failed to start');
      if (this.running) await this.kill();
      throw e;
    }
    if (ready.exited) {
      throw new Error(`${this.name} exited during start-up: ${JSON.stringify(this.exit)}`);
    }
    this.ports = ready.ports;
    // The first start created the admin user; its password stays in the data directory.
    const passwordFile = path.join(this.dataDir, 'initial-admin-password');
    this.adminPassword = fs.existsSync(passwordFile)
        ? fs.readFileSync(passwordFile, 'utf8').trim() : null;
    return this;
  }

  // Basic credentials of the admin user created at the first start.
  get credentials() {
    if (!this.adminPassword) throw new Error(`${this.name}: no initial-admin-password`);
    return { username: 'admin', password: this.adminPassword };
  }

  // The environment for spanvaultctl as the admin: SPANVAULT_USER and SPANVAULT_PASSWORD
  // (never a password in argv), and a config directory of this server's own, so that no
  // `spanvaultctl login` of the machine's user is picked up. `extra` overrides (a key set to
  // undefined is removed).
  ctlEnv(extra = {}) {
    const env = { ...process.env };
    for (const key of ['SPANVAULT_TOKEN', 'SPANVAULT_USER', 'SPANVAULT_PASSWORD', 'SPANVAULT_SERVER']) {
      delete env[key];
    }
    Object.assign(env, {
      XDG_CONFIG_HOME: path.join(this.rootDir, 'ctl-config'),
      SPANVAULT_USER: 'admin',
      SPANVAULT_PASSWORD: this.credentials.password,
    }, extra);
    for (const [key, value] of Object.entries(env)) if (value === undefined) delete env[key];
    return env;
  }

  portsOrThrow() {
    if (!this.ports) throw new Error(`${this.name} is not started`);
    return this.ports;
  }

  // The query API and UI without credentials (a browser's address, or to test refusals).
  get queryOrigin() { return `${this.scheme}://${this.portsOrThrow().query_http}`; }
  // The same with the admin's Basic credentials in it: lib/http.js and node:http(s) send them.
  get queryUrl() {
    if (!this.adminPassword) return this.queryOrigin;
    return `${this.scheme}://admin:${encodeURIComponent(this.adminPassword)}@${this.portsOrThrow().query_http}`;
  }
  get adminUrl() { return `${this.scheme}://${this.portsOrThrow().admin_http}`; }
  get otlpHttpUrl() { return `${this.scheme}://${this.portsOrThrow().otlp_http}`; }
  get otlpGrpcAddress() { return this.portsOrThrow().otlp_grpc; }
  // The Jaeger gRPC query listener (jaeger.api_v2 and jaeger.api_v3 QueryService).
  get queryGrpcAddress() {
    const address = this.portsOrThrow().query_grpc;
    if (!address) throw new Error(`${this.name}: the ports file has no query_grpc`);
    return address;
  }

  // The Jaeger remote-storage listener (jaeger.storage.v1 and jaeger.storage.v2).
  get remoteStorageAddress() {
    const address = this.portsOrThrow().remote_storage;
    if (!address) throw new Error(`${this.name}: the ports file has no remote_storage`);
    return address;
  }

  // The admin gRPC listener (spanvaultctl --server).
  get adminGrpcAddress() {
    const address = this.portsOrThrow().admin_grpc;
    if (!address) throw new Error(`${this.name}: the ports file has no admin_grpc`);
    return address;
  }

  // Starts a server that is expected to refuse to start: waits for it to exit by itself and
  // resolves with { code, signal, output } (the output of this start only). Throws if it
  // becomes ready instead, or does not exit within `timeoutMs`.
  async startExpectingExit({ timeoutMs = 30000 } = {}) {
    const from = this.output().length;
    try {
      await this.start({ timeoutMs, expectExit: true });
    } catch (e) {
      if (!this.exit) throw e;
      return { ...this.exit, output: this.output().slice(from) };
    }
    await this.kill();
    throw new Error(`${this.name} started although it was expected to refuse`);
  }

  // SIGTERM, wait for the exit and require exit code 0 (graceful shutdown).
  async stop({ timeoutMs = 30000 } = {}) {
    if (!this.running) throw new Error(`${this.name} is not running`);
    this.expectExit = true;
    this.child.kill('SIGTERM');
    const exit = await withTimeout(this.exited, timeoutMs,
                                   `${this.name} to exit after SIGTERM`);
    if (exit.code !== 0) {
      this.dumpOutput('non-zero exit after SIGTERM');
      throw new Error(`${this.name} exited with ${JSON.stringify(exit)} after SIGTERM, want code 0`);
    }
    return exit;
  }

  // SIGKILL (a crash), wait for the exit.
  async kill() {
    if (!this.running) return this.exit;
    this.expectExit = true;
    this.child.kill('SIGKILL');
    return withTimeout(this.exited, 30000, `${this.name} to die after SIGKILL`);
  }

  // For `after` hooks: stop gracefully if still running (asserting exit 0), then remove the
  // data directory.
  async close() {
    try {
      if (this.running) await this.stop();
    } finally {
      registry.delete(this);
      if (this.running) await this.kill();
      fs.rmSync(this.rootDir, { recursive: true, force: true });
    }
  }
}

async function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function startServer(options) {
  const server = new SpanvaultServer(options);
  await server.start();
  return server;
}

function dumpAllServerOutput(reason) {
  for (const server of registry) server.dumpOutput(reason);
}

module.exports = { SpanvaultServer, startServer, dumpAllServerOutput, artifactsDir, ctlPath, PORT_KEYS };
