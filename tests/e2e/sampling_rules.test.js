'use strict';
// Runtime sampling rules through spanvaultctl and the admin gRPC API: a rule keeps a trace the
// policies would drop, until it expires or is removed; rules survive kill -9.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const { test, before, after } = require('./lib/harness');
const { SpanvaultServer } = require('./lib/server');
const { waitFor } = require('./lib/wait');
const otel = require('./lib/otel');
const { jaegerTraceId } = require('./lib/expect');
const sv = require('./lib/sampling');

const { api, ms, hr } = otel;
const configDir = sv.makeTempDir();
const SERVICE = 'rules-svc';
let server;

// Only errors are kept by the policies; every trace below is otherwise plain.
const CONFIG = `
sampling:
  decision_wait: 2s
  decision_quiet: 200ms
  policies:
    - {name: errors, type: status_code, status_code: {status_codes: [ERROR]}}
`;

before(async () => {
  server = new SpanvaultServer({ name: 'spanvault-rules', args: ['--config', sv.writeConfig(configDir, 'rules.yaml', CONFIG)] });
  await server.start();
});

after(async () => {
  if (server) await server.close();
  fs.rmSync(configDir, { recursive: true, force: true });
});

const ids = new sv.FixedIdGenerator(0x5d0000000001);
const { provider, memory } = otel.memoryProvider({ 'service.name': SERVICE }, { idGenerator: ids });
const tracer = provider.getTracer('sampling-rules-e2e', '1.0.0');
let traceCount = 0;

// A plain two-span trace whose child carries order_id = `order` (a rule matches any span).
function orderTrace(order) {
  const n = traceCount++;
  const traceId = sv.fixedTraceId('sampling-rules', n);
  const start = otel.baseTimeNs(5 * 60 * 1000) + BigInt(n) * ms(100);
  ids.next(traceId);
  const root = otel.startSpan(tracer, 'GET /orders/{id}', { kind: api.SpanKind.SERVER, at: start });
  const child = otel.startSpan(tracer, 'load-order', { parent: root, at: start + ms(1), attributes: { order_id: order } });
  child.end(hr(start + ms(3)));
  root.end(hr(start + ms(5)));
  const spans = memory.getFinishedSpans();
  memory.reset();
  return { traceId, spans, order, startNs: start };
}

async function send(...traces) {
  const exporter = otel.createExporter(server, 'http/protobuf');
  try {
    await otel.exportSpans(exporter, traces.flatMap((t) => t.spans), `traces ${traces.map((t) => t.order)}`);
  } finally {
    await exporter.shutdown();
  }
}

// Waits until `t` is decided (it is pending from its acknowledgement until then); returns the
// trace when kept, null when dropped.
async function decisionOf(t) {
  const got = await waitFor(async () => {
    const s = await sv.traceState(server, t.traceId);
    return s.state !== 'pending' && s;
  }, { timeoutMs: 30000, what: `trace ${t.order} (${t.traceId}) to be decided` });
  return got.state === 'decided' ? got.trace : null;
}

async function assertKeptBy(t, policy) {
  const trace = await decisionOf(t);
  assert.ok(trace, `trace ${t.order} is kept`);
  sv.assertKeptTrace(trace, t.spans, policy, { where: `trace ${t.order}` });
  const found = await sv.classicSearchIds(server, SERVICE, t.startNs - ms(1000), t.startNs + ms(1000), `order_id:${t.order}`);
  assert.deepEqual(found, [jaegerTraceId(t.traceId)], `trace ${t.order} is searchable`);
}

async function assertDropped(t) {
  assert.equal(await decisionOf(t), null, `trace ${t.order} is dropped`);
}

// `spanvaultctl sampling add`; returns the new rule's id.
async function addRule(attr, duration, reason) {
  const r = await sv.ctl(server, 'sampling', 'add', '--attr', attr, '--for', duration, '--reason', reason);
  assert.equal(r.code, 0, `sampling add ${attr}: exit ${r.code}, stderr ${r.stderr}`);
  const m = /^rule (\S+): keeping every trace with (\S+) until (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)\n$/.exec(r.stdout);
  assert.ok(m, `sampling add output: ${JSON.stringify(r.stdout)}`);
  assert.equal(m[2], attr);
  return m[1];
}

test('a rule keeps a trace the policies would drop, until it expires', async () => {
  const addedAt = Date.now();
  // Long enough that the decision below falls inside it even on a loaded machine (decisions
  // come within decision_wait, 2 s, of the export), short enough to wait for its expiry.
  const id = await addRule('order_id=RULE-1', '15s', 'lost order RULE-1');
  const rules = await sv.listRules(server);
  assert.equal(rules.length, 1, JSON.stringify(rules));
  const [rule] = rules;
  assert.equal(rule.id, id);
  assert.equal(rule.attribute, 'order_id=RULE-1');
  assert.equal(rule.reason, 'lost order RULE-1');
  assert.equal(typeof rule.created_by, 'string');
  // The expiry is 15 s after the rule was added (the listing has whole seconds).
  const expires = Date.parse(rule.expires_at);
  const created = Date.parse(rule.created_at);
  assert.equal(expires - created, 15000, `created_at ${rule.created_at}, expires_at ${rule.expires_at}`);
  assert.ok(created >= Math.floor(addedAt / 1000) * 1000 - 1000 && created <= Date.now(), `created_at ${rule.created_at}`);

  // While it applies: RULE-1 is kept by the rule, another order is dropped.
  const kept = orderTrace('RULE-1');
  const other = orderTrace('RULE-0');
  await send(kept, other);
  await assertKeptBy(kept, `rule:${id}`);
  await assertDropped(other);

  // Once it has expired it is no longer listed, and RULE-1 is dropped like any plain trace.
  await waitFor(async () => (await sv.listRules(server)).length === 0,
                { timeoutMs: 30000, intervalMs: 250, what: `rule ${id} to expire` });
  const afterExpiry = orderTrace('RULE-1');
  await send(afterExpiry);
  await assertDropped(afterExpiry);
  const samples = await sv.metricSamples(server);
  assert.equal(sv.metricSum(samples, 'spanvault_sampling_traces_total', { decision: 'kept', policy: `rule:${id}` }), 1);
});

test('sampling remove ends a rule at once; unknown ids and bad arguments fail with exit code 1', async () => {
  const id = await addRule('order_id=RULE-2', '1h', 'removed soon');
  assert.deepEqual((await sv.listRules(server)).map((r) => r.id), [id]);
  const removed = await sv.ctl(server, 'sampling', 'remove', id);
  assert.equal(removed.code, 0, removed.stderr);
  assert.equal(removed.stdout, `rule ${id} removed\n`);
  assert.deepEqual(await sv.listRules(server), []);
  const t = orderTrace('RULE-2');
  await send(t);
  await assertDropped(t);

  for (const unknown of [id, 'no-such-rule']) {
    const r = await sv.ctl(server, 'sampling', 'remove', unknown);
    assert.equal(r.code, 1, `remove ${unknown}: exit code`);
    assert.equal(r.stdout, '', `remove ${unknown}: nothing on stdout`);
    assert.match(r.stderr, new RegExp(`^spanvaultctl: .*no sampling rule with id ${unknown}\\b`), `remove ${unknown}: stderr`);
  }
  const badAttr = await sv.ctl(server, 'sampling', 'add', '--attr', 'order_id', '--for', '1h');
  assert.equal(badAttr.code, 1);
  assert.match(badAttr.stderr, /--attr must be KEY=VALUE/);
  const badFor = await sv.ctl(server, 'sampling', 'add', '--attr', 'order_id=X', '--for', 'soon');
  assert.equal(badFor.code, 1);
  assert.match(badFor.stderr, /--for soon/);
  assert.deepEqual(await sv.listRules(server), [], 'no rule was added by the failed commands');
});

test('a rule matches a resource attribute too', async () => {
  const id = await addRule('deployment.environment=canary-7', '1h', 'watch the canary');
  const canary = otel.memoryProvider({ 'service.name': SERVICE, 'deployment.environment': 'canary-7' }, { idGenerator: ids });
  const n = traceCount++;
  const traceId = sv.fixedTraceId('sampling-rules', n);
  const start = otel.baseTimeNs(5 * 60 * 1000) + BigInt(n) * ms(100);
  ids.next(traceId);
  const root = otel.startSpan(canary.provider.getTracer('sampling-rules-e2e', '1.0.0'), 'GET /canary', { kind: api.SpanKind.SERVER, at: start });
  root.end(hr(start + ms(2)));
  const t = { traceId, spans: canary.memory.getFinishedSpans(), order: 'canary', startNs: start };
  await send(t);
  const trace = await decisionOf(t);
  assert.ok(trace, 'the canary trace is kept');
  sv.assertKeptTrace(trace, t.spans, `rule:${id}`, { where: 'canary trace' });
  const r = await sv.ctl(server, 'sampling', 'remove', id);
  assert.equal(r.code, 0, r.stderr);
});

test('rules survive kill -9 and keep applying after the restart', async () => {
  const id = await addRule('order_id=RULE-3', '1h', 'kept across restarts');
  const [before] = await sv.listRules(server);
  await server.kill(); // right after the acknowledgement
  await server.start();
  assert.deepEqual(await sv.listRules(server), [before], 'the same rule after kill -9');
  const t = orderTrace('RULE-3');
  const other = orderTrace('RULE-4');
  await send(t, other);
  await assertKeptBy(t, `rule:${id}`);
  await assertDropped(other);
  // And across a graceful restart; then it can be removed.
  await server.stop();
  await server.start();
  assert.deepEqual(await sv.listRules(server), [before], 'the same rule after a graceful restart');
  const r = await sv.ctl(server, 'sampling', 'remove', id);
  assert.equal(r.code, 0, r.stderr);
  await server.stop();
  await server.start();
  assert.deepEqual(await sv.listRules(server), [], 'a removed rule stays removed');
});
