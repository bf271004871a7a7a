'use strict';
// Crash torture (issue 11, item 3): load through the real spanvault binary, kill -9 at random
// moments, restart on the same data directory, and check after every restart and at the end
// that every acknowledged span of a kept trace is readable exactly once, that nothing is
// corrupted, that dropped traces are gone, and that pending sampling decisions resume.
// Usage: tests/torture/run [--iterations N | --minutes M] [--seed S] [--bin PATH] (README.md).

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const crypto = require('node:crypto');
const { setTimeout: pause } = require('node:timers/promises');
const e2e = require('./lib/e2e');
const { Rng, samplingYaml, Ledger } = require('./lib/model');
const { Client, Stats } = require('./lib/load');
const { checkTraces } = require('./lib/check');

const USAGE = `usage: tests/torture/run [--iterations N | --minutes M] [--seed S] [--bin PATH]
  [--clients C] [--write-buffer-bytes B] [--decision-wait D] [--keep-data]`;

function parseArgs(argv) {
  const opts = {
    iterations: null, minutes: null, seed: null, bin: process.env.SPANVAULT_BIN, clients: 4,
    writeBufferBytes: 131072, decisionWait: '1500ms', keepData: false,
  };
  const value = (i) => {
    if (i + 1 >= argv.length) throw new Error(`${argv[i]} needs a value\n${USAGE}`);
    return argv[i + 1];
  };
  const positive = (name, text) => {
    const n = Number(text);
    if (!(n > 0)) throw new Error(`${name} must be a positive number, got "${text}"`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    switch (argv[i]) {
      case '--iterations': opts.iterations = Math.floor(positive('--iterations', value(i))); i++; break;
      case '--minutes': opts.minutes = positive('--minutes', value(i)); i++; break;
      case '--seed': opts.seed = value(i); i++; break;
      case '--bin': opts.bin = path.resolve(value(i)); i++; break;
      case '--clients': opts.clients = Math.floor(positive('--clients', value(i))); i++; break;
      case '--write-buffer-bytes': opts.writeBufferBytes = Math.floor(positive('--write-buffer-bytes', value(i))); i++; break;
      case '--decision-wait': opts.decisionWait = value(i); i++; break;
      case '--keep-data': opts.keepData = true; break;
      case '-h': case '--help': process.stdout.write(`${USAGE}\n`); process.exit(0); break;
      default: throw new Error(`unknown argument ${argv[i]}\n${USAGE}`);
    }
  }
  if (opts.iterations !== null && opts.minutes !== null) throw new Error('give --iterations or --minutes, not both');
  if (opts.iterations === null && opts.minutes === null) opts.iterations = 8;
  if (opts.seed === null) opts.seed = String(crypto.randomInt(1, 2 ** 31));
  if (!opts.bin) throw new Error('no spanvault binary: give --bin PATH or set SPANVAULT_BIN');
  process.env.SPANVAULT_BIN = opts.bin;  // read by tests/e2e/lib/server.js
  return opts;
}

// RocksDB's files in the store: SST names and the highest file number (each flush and each
// compaction output takes the next number, so its growth counts them).
function rocksFiles(dataDir) {
  const dir = path.join(dataDir, 'traces');
  const names = fs.existsSync(dir) ? fs.readdirSync(dir) : [];
  const numbers = names.map((n) => /^(\d+)\.(sst|log)$/.exec(n)).filter(Boolean).map((m) => Number(m[1]));
  return { ssts: new Set(names.filter((n) => n.endsWith('.sst'))), maxNumber: Math.max(0, ...numbers) };
}

async function metric(server, name) {
  const { request } = e2e.require('./lib/http');
  const res = await request(`${server.adminUrl}/metrics`);
  if (res.status !== 200) throw new Error(`/metrics: HTTP ${res.status}`);
  const line = res.text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.split(' ')[1]);
}

async function startAndWaitReady(server) {
  const { request } = e2e.require('./lib/http');
  const { waitFor } = e2e.require('./lib/wait');
  await server.start({ timeoutMs: 60000 });
  await waitFor(async () => (await request(`${server.adminUrl}/readyz`)).status === 200,
                { timeoutMs: 60000, what: '/readyz to answer 200' });
}

// Problems found so far, and the figures of the run.
class Run {
  constructor(opts) {
    this.opts = opts;
    this.problems = [];
    this.iterations = 0;
    this.kills = [];  // per kill: {iteration, loadMs, pending}
    this.stats = new Stats();
    this.sstsSeen = new Set();
    this.firstFileNumber = null;
    this.lastFileNumber = 0;
    this.discardedFileKills = 0;
    this.unknownStored = null;  // unknown spans of kept traces readable at the end
  }

  record(iteration, problems) {
    for (const p of problems) this.problems.push({ iteration, ...p });
  }

  noteFiles(files) {
    for (const s of files.ssts) this.sstsSeen.add(s);
    if (this.firstFileNumber === null) this.firstFileNumber = files.maxNumber;
    this.lastFileNumber = Math.max(this.lastFileNumber, files.maxNumber);
  }
}

// Picks unknown requests and a few acknowledged ones for a resend, as exporters retry after a
// lost connection or a lost answer: every span must still be stored once. Half of the unknown
// requests are retried (until acknowledged), the others never: they stay unknown to the end.
function queueRetries(ledger, clients, rng, iteration) {
  for (const c of clients) c.retries = [];
  let unknown = 0;
  let acked = 0;
  for (const req of ledger.unknownRequests()) {
    if (req.retry === undefined) req.retry = rng.chance(0.5);
    if (!req.retry) continue;
    clients[req.client].retries.push(req);
    unknown++;
  }
  for (const req of ledger.requests) {
    if (!req.acked || req.outcomes.at(-1).iteration !== iteration - 1 || !rng.chance(0.03)) continue;
    clients[req.client].retries.push(req);
    acked++;
  }
  return { unknown, acked };
}

// kill -9 of the server's process (the child this run started, by its PID), at once.
function killNow(server) {
  server.expectExit = true;  // tests/e2e/lib/server.js: not reported as an unexpected death
  server.child.kill('SIGKILL');
}

// One iteration: load for a random time, then kill -9. Half of the kills are sent 0 to 2 turns
// of the event loop (well under a millisecond; a request takes about one) after a request
// left, so they land on it somewhere on its way (connecting, received, validated, queued,
// written, answered); the others land wherever the clients are.
async function loadAndKill(run, server, clients, schedule, number) {
  const loadMs = schedule.chance(0.125) ? schedule.int(0, 300) : schedule.int(300, 3000);
  const midRequest = schedule.chance(0.5);
  const afterSendHops = schedule.int(0, 2);
  const iteration = { number, stopping: false, onSend: null };
  const stats = new Stats();
  const runs = clients.map((c) => c.run(server, iteration, stats, [2, 12]));
  await pause(loadMs);  // how long the load runs before the kill, not a wait for state
  let pending;
  try {
    pending = await metric(server, 'spanvault_sampling_pending_traces');
  } catch (e) {
    pending = undefined;
  }
  if (midRequest) {
    await Promise.race([Promise.all(runs), new Promise((resolve) => {
      iteration.onSend = () => {
        iteration.onSend = null;
        const hop = (left) => {
          if (left > 0) {
            setImmediate(() => hop(left - 1));
            return;
          }
          killNow(server);
          resolve();
        };
        hop(afterSendHops);
      };
    })]);
  }
  iteration.stopping = true;
  await server.kill();  // sends SIGKILL unless sent already; waits for the exit
  await Promise.all(runs);
  run.kills.push({ iteration: number, loadMs, pending, midRequest });
  for (const key of ['acked', 'unknown', 'rejected']) run.stats[key] += stats[key];
  return stats;
}

// Up to `limit` of `list`, picked at random.
function sample(list, limit, rng) {
  if (list.length <= limit) return list;
  return rng.shuffle([...list]).slice(0, limit);
}

// The spanvault log lines at error level or above ("[error]", "[critical]").
function serverErrors(server) {
  return server.output().split('\n').filter((l) => /\[(error|critical)\]/.test(l));
}

function summarize(run, ledger) {
  const sentSpans = ledger.sentSpans.size;
  const ackedSpans = ledger.ackedSpans.size;
  const kept = ledger.sentTraces().filter((t) => t.policy !== null);
  const countType = (type) => run.problems.filter((p) => p.type === type).length;
  const withPending = run.kills.filter((k) => k.pending > 0);
  return {
    seed: run.opts.seed,
    iterations: run.iterations,
    kills: run.kills.length,
    kills_with_pending_traces: withPending.length,
    requests: ledger.requests.length,
    request_attempts: run.stats.acked + run.stats.unknown,
    request_attempts_unknown: run.stats.unknown,
    requests_acked: ledger.requests.filter((r) => r.acked).length,
    requests_unknown: ledger.unknownRequests().length,
    traces: ledger.sentTraces().length,
    traces_kept_kind: kept.length,
    spans_sent: sentSpans,
    spans_acked: ackedSpans,
    spans_acked_in_kept_traces: kept.reduce((n, t) => n + t.spans.filter((s) => ledger.isAcked(t.traceId, s.spanId)).length, 0),
    spans_unknown: sentSpans - ackedSpans,
    spans_unknown_found_stored: run.unknownStored,
    lost: countType('lost'),
    duplicated: countType('duplicated'),
    other_problems: run.problems.length - countType('lost') - countType('duplicated'),
    rocksdb_files_created: run.lastFileNumber - (run.firstFileNumber || 0),
    ssts_seen: run.sstsSeen.size,
    kills_after_which_restart_discarded_ssts: run.discardedFileKills,
  };
}

function keepForInspection(server, workDir, opts) {
  const { artifactsDir } = e2e.require('./lib/server');
  const dest = path.join(artifactsDir(), `torture-seed-${opts.seed}-${Date.now()}`);
  fs.mkdirSync(dest, { recursive: true });
  fs.cpSync(server.rootDir, path.join(dest, 'server'), { recursive: true });
  fs.cpSync(workDir, path.join(dest, 'client'), { recursive: true });
  fs.writeFileSync(path.join(dest, 'server.log'), server.output());
  return dest;
}

function printProblems(problems) {
  const byType = new Map();
  for (const p of problems) byType.set(p.type, (byType.get(p.type) || 0) + 1);
  process.stderr.write(`\nPROBLEMS: ${[...byType].map(([t, n]) => `${t} ${n}`).join(', ')}\n`);
  for (const p of problems.slice(0, 60)) {
    process.stderr.write(`  ${p.type}: trace ${p.traceId || '-'} span ${p.spanId || '-'} (${p.kind || '-'}) ` +
                         `checked after iteration ${p.iteration}, acknowledged in iteration ${p.ackedIn ?? '-'}: ${p.detail}\n`);
  }
  if (problems.length > 60) process.stderr.write(`  ... and ${problems.length - 60} more\n`);
}

// Start, check what the previous iterations sent, load, kill -9; until the iterations or the
// minutes are done or a check finds a problem. The server is left running.
async function iterate(server, ledger, run, clients, deadline) {
  const { opts } = run;
  const schedule = new Rng(opts.seed, 'schedule');
  const checks = new Rng(opts.seed, 'checks');
  let afterKill = null;
  for (let n = 1; ; n++) {
    const startAt = Date.now();
    await startAndWaitReady(server);
    const startMs = Date.now() - startAt;
    const files = rocksFiles(server.dataDir);
    if (afterKill && [...afterKill.ssts].some((s) => !files.ssts.has(s))) run.discardedFileKills++;
    run.noteFiles(files);
    if (n > 1) {
      // The store opened; what the previous iterations acknowledged reads back.
      const touched = ledger.takeTouched();
      const older = sample(ledger.sentTraces(), 60, checks);
      const checkAt = Date.now();
      const { problems, states } = await checkTraces(server, ledger, [...new Set([...sample(touched, 240, checks), ...older])]);
      run.record(n - 1, problems);
      process.stdout.write(`  restart ready in ${startMs} ms; checked ${states.absent + states.pending + states.decided} traces in ${Date.now() - checkAt} ms ` +
                           `(${states.pending} pending, ${states.decided} decided, ${states.absent} absent): ` +
                           `${problems.length} problems\n`);
      if (problems.length > 0) break;
    }
    const done = deadline !== null ? Date.now() >= deadline : n > opts.iterations;
    if (done) break;
    const retries = queueRetries(ledger, clients, schedule, n);
    const stats = await loadAndKill(run, server, clients, schedule, n);
    run.iterations = n;
    afterKill = rocksFiles(server.dataDir);
    run.noteFiles(afterKill);
    const kill = run.kills.at(-1);
    process.stdout.write(`iteration ${n}: load ${kill.loadMs} ms${kill.midRequest ? ', killed mid-request' : ''}, ${stats.acked} acknowledged, ${stats.unknown} unknown ` +
                         `(${[...stats.reasons].map(([r, c]) => `${r}: ${c}`).join(', ') || '-'}), ` +
                         `${retries.unknown} + ${retries.acked} resent, kill -9 with ${kill.pending ?? '?'} pending traces\n`);
  }
}

// The last start: nothing more is sent; every pending decision resumes and completes. Then
// every trace ever sent is checked, and again after a graceful restart (exit code 0).
async function finalChecks(server, ledger, run) {
  const { waitFor } = e2e.require('./lib/wait');
  await waitFor(async () => {
    const pending = await metric(server, 'spanvault_sampling_pending_traces');
    if (pending === 0) return true;
    throw new Error(`${pending} traces pending`);
  }, { timeoutMs: 120000, intervalMs: 200, what: 'every pending trace to be decided' });
  const all = ledger.sentTraces();
  const checkAt = Date.now();
  let { problems, states } = await checkTraces(server, ledger, all, { final: true });
  run.record('final', problems);
  run.unknownStored = states.unknownStored;
  process.stdout.write(`final check: ${all.length} traces in ${Date.now() - checkAt} ms (${states.decided} kept, ` +
                       `${states.absent} absent, ${states.pending} pending): ${problems.length} problems\n`);
  // And once more after a graceful restart (exit code 0).
  await server.stop();
  await startAndWaitReady(server);
  ({ problems, states } = await checkTraces(server, ledger, all, { final: true, summaries: false }));
  run.record('final, after a graceful restart', problems);
  process.stdout.write(`after a graceful restart: ${problems.length} problems\n`);
  const errors = serverErrors(server);
  for (const line of errors.slice(0, 20)) run.record('server log', [{ type: 'server-error', detail: line }]);
  await server.stop();
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const { SpanvaultServer } = e2e.require('./lib/server');
  const started = Date.now();
  const deadline = opts.minutes !== null ? started + opts.minutes * 60000 : null;
  process.stdout.write(`crash torture: seed ${opts.seed} (replay with --seed ${opts.seed}), ` +
                       `${opts.iterations !== null ? `${opts.iterations} iterations` : `${opts.minutes} minutes`}, ` +
                       `${opts.clients} clients, binary ${opts.bin}\n`);
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'spanvault-torture-'));
  const config = path.join(workDir, 'torture.yaml');
  fs.writeFileSync(config, samplingYaml(opts.decisionWait));
  const server = new SpanvaultServer({
    name: 'spanvault-torture',
    // Without authentication: each Basic-auth read would cost an argon2id check, the bulk of
    // the check time. Encryption at rest stays on (the default key beside the data directory).
    args: ['--config', config, '--retention', '7h', '--testing-write-buffer-bytes', String(opts.writeBufferBytes),
           '--insecure-no-auth'],
  });
  const ledger = new Ledger(path.join(workDir, 'client-log.jsonl'));
  const run = new Run(opts);
  const clients = Array.from({ length: opts.clients }, (_, i) => new Client(i, new Rng(opts.seed, `client-${i}`), ledger));
  let failed = false;
  try {
    await iterate(server, ledger, run, clients, deadline);
    if (run.problems.length === 0) await finalChecks(server, ledger, run);
  } catch (e) {
    failed = true;
    process.stderr.write(`\ntorture aborted: ${e.stack || e}\n`);
  } finally {
    ledger.close();
    if (server.running) await server.kill();
  }
  const summary = summarize(run, ledger);
  summary.minutes = Number(((Date.now() - started) / 60000).toFixed(1));
  process.stdout.write(`\n${JSON.stringify(summary, null, 2)}\n`);
  failed = failed || run.problems.length > 0;
  if (failed || opts.keepData) {
    if (run.problems.length > 0) printProblems(run.problems);
    const kept = keepForInspection(server, workDir, opts);
    process.stderr.write(`\n${failed ? 'FAILED' : 'passed'} (seed ${opts.seed}); data directory, key, config, ` +
                         `client log and server log kept in ${kept}\n`);
  } else {
    process.stdout.write(`passed (seed ${opts.seed})\n`);
  }
  fs.rmSync(workDir, { recursive: true, force: true });
  await server.close().catch(() => {});
  process.exit(failed ? 1 : 0);
}

main().catch((e) => {
  process.stderr.write(`${e.stack || e}\n`);
  process.exit(2);
});
