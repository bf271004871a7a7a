'use strict';
// Order journeys on the real pipeline: deploy/demo/run (a private RabbitMQ node, four Node
// services with the official OpenTelemetry SDK and instrumentations) places 200 orders with
// known faults against spanvault configured with the demo's flow and the production sampling
// set of docs/sampling.md (errors, slow, seller 5xx, watched orders, 10 % of the rest; the
// flow_status policy is added by default). Afterwards spanvault's verdicts must match the
// demo's ground truth order by order, the stuck list must hold exactly the lost orders, the
// stuck-share metric their share, and every trace of a failed or stuck order must be stored
// although only about 10 % of the others are.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { test, before, after } = require('./lib/harness');
const { SpanvaultServer } = require('./lib/server');
const { getJson, qs } = require('./lib/http');
const { waitFor } = require('./lib/wait');
const { runDemo, readGroundTruth } = require('./lib/demo');
const sv = require('./lib/sampling');
const { orderFlows } = require('./lib/orders');

const ORDERS_PER_MIN = 1200;
const FOR_MS = 10000;  // 200 orders
const FAULTS = 'lost=0.05,delayed=0.05,seller-5xx=0.05,mes-error=0.05,broken-propagation=0.1';
const QUEUE_DELAY_MS = 1500;
const CONSUME_WITHIN_S = 6;  // the consume step's threshold: a lost order is stuck 6 s after its publish
const SEED = 20261128;

// The demo's flow (deploy/demo/flows.yaml) with a short consume threshold, and the production
// sampling set with a short decision_wait.
const CONFIG = `
${orderFlows(`${CONSUME_WITHIN_S}s`)}sampling:
  decision_wait: 3s
  decision_quiet: 1s
  policies:
    - {name: errors, type: status_code, status_code: {status_codes: [ERROR]}}
    - {name: slow, type: latency, latency: {threshold_ms: 1000}}
    - name: seller-api-5xx
      type: numeric_attribute
      numeric_attribute: {key: http.response.status_code, min_value: 500, max_value: 599}
    - name: watched-orders
      type: string_attribute
      string_attribute: {key: order_id, values: [A-1001, A-1002]}
    - {name: baseline, type: probabilistic, probabilistic: {sampling_percentage: 10}}
`;

const tmp = sv.makeTempDir('spanvault-order-journeys-');
const groundTruthFile = path.join(tmp, 'ground-truth.jsonl');
let server;
let orders;

before(async () => {
  server = new SpanvaultServer({
    name: 'order-journeys',
    args: ['--insecure-no-auth', '--config', sv.writeConfig(tmp, 'spanvault.yaml', CONFIG)],
  });
  await server.start();
  const exit = await runDemo([
    '--spanvault', server.otlpHttpUrl, '--orders-per-min', String(ORDERS_PER_MIN),
    '--for', `${FOR_MS}ms`, '--faults', FAULTS, '--queue-delay', `${QUEUE_DELAY_MS}ms`,
    '--seed', String(SEED), '--broken-link', '--ground-truth', groundTruthFile,
    '--ui', server.queryOrigin,
  ], 180000);  // a ceiling: RabbitMQ's start-up and 10 s of orders take about a minute
  assert.deepEqual({ code: exit.code, signal: exit.signal }, { code: 0, signal: null },
                   `deploy/demo/run failed:\n${exit.output}`);
  orders = readGroundTruth(groundTruthFile);
});

after(async () => {
  if (server) await server.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const journeyUrl = (key) => `${server.queryUrl}/api/orders/${encodeURIComponent(key)}?${qs({ flow: 'order' })}`;
const listUrl = (params) => `${server.queryUrl}/api/orders?${qs({ flow: 'order', limit: 1000, ...params })}`;
const withOutcome = (outcome) => orders.filter((o) => o.expected.outcome === outcome);
// The verdict the ground truth's outcome means once the consume threshold has passed.
const VERDICT = { completed: 'completed', failed: 'failed', lost: 'stuck' };

// The first policy of CONFIG that keeps this trace (classic Jaeger JSON), or null.
function expectedPolicy(trace, baseline) {
  const tag = (span, key) => (span.tags.find((t) => t.key === key) || {}).value;
  if (trace.spans.some((sp) => tag(sp, 'error') === true)) return 'errors';
  const start = Math.min(...trace.spans.map((sp) => sp.startTime));
  const end = Math.max(...trace.spans.map((sp) => sp.startTime + sp.duration));
  if (end - start >= 1e6) return 'slow';
  const code = (sp) => Number(tag(sp, 'http.response.status_code'));
  if (trace.spans.some((sp) => code(sp) >= 500 && code(sp) <= 599)) return 'seller-api-5xx';
  return baseline ? 'baseline' : null;
}

async function listKeys(params) {
  const body = await getJson(listUrl(params));
  assert.equal(body.errors, null);
  return body.data.map((j) => j.key).sort();
}

test('200 orders with every fault were placed', () => {
  assert.equal(orders.length, 200);
  for (const outcome of ['completed', 'failed', 'lost']) {
    assert.ok(withOutcome(outcome).length >= 10, `${outcome}: ${withOutcome(outcome).length} orders`);
  }
});

test('after the threshold, the stuck list holds exactly the lost orders', async () => {
  const lost = withOutcome('lost').map((o) => o.order_id).sort();
  // Polled: a journey counts as stuck CONSUME_WITHIN_S after its publish.
  await waitFor(async () => (await listKeys({ status: 'stuck' })).length >= lost.length,
                { timeoutMs: 60000, what: `${lost.length} stuck orders` });
  assert.deepEqual(await listKeys({ status: 'stuck' }), lost);
  const open = (await getJson(listUrl({ status: 'in_progress' }))).data;
  assert.deepEqual(open, [], 'no order in progress');
  assert.deepEqual(await listKeys({ status: 'failed' }), withOutcome('failed').map((o) => o.order_id).sort());
  assert.deepEqual(await listKeys({ status: 'completed' }),
                   withOutcome('completed').map((o) => o.order_id).sort());
});

test('every verdict and last step matches the ground truth', async () => {
  for (const order of orders) {
    const { data } = await getJson(journeyUrl(order.order_id));
    const where = `${order.order_id} (${order.fault})`;
    assert.equal(data.verdict.status, VERDICT[order.expected.outcome], where);
    assert.equal(data.lastStep, order.expected.last_step, where);
    if (order.fault === 'lost') {
      assert.match(data.verdict.message, /published to orders .* not consumed: lost or waiting in the queue/, where);
    }
    if (order.fault === 'mes-error') assert.equal(data.verdict.step, 'consumed', where);
    if (order.fault === 'seller-5xx') assert.equal(data.verdict.step, 'confirmed', where);
    if (order.fault === 'broken-propagation') {
      assert.ok(data.traces.length >= 2, `${where}: the producer's and the consumer's trace`);
    }
  }
});

test('the stuck-share metric is the lost orders\' share', async () => {
  const share = withOutcome('lost').length / orders.length;
  // Counted every 10 s from what the journeys wrote (every 5 s).
  const samples = await waitFor(async () => {
    const got = await sv.metricSamples(server);
    assert.equal(sv.metricSum(got, 'spanvault_journeys_stuck_share', { flow: 'order' }), share);
    return got;
  }, { timeoutMs: 60000, what: `spanvault_journeys_stuck_share{flow="order"} = ${share}` });
  assert.equal(sv.metricSum(samples, 'spanvault_journeys_stuck_now'), withOutcome('lost').length);
});

test('at 10 % sampling, every trace of a failed or stuck order is stored', async () => {
  // Decided: no trace of any journey waits any more (a lost order's publish waits until the
  // order is stuck).
  await waitFor(async () => (await sv.pendingTraces(server)) === 0,
                { timeoutMs: 60000, what: 'every sampling decision' });
  for (const order of [...withOutcome('failed'), ...withOutcome('lost')]) {
    const { data } = await getJson(journeyUrl(order.order_id));
    assert.ok(data.traces.length >= 1, order.order_id);
    for (const t of data.traces) {
      assert.equal(t.kept, true, `${order.order_id} (${order.fault}): trace ${t.traceID} kept`);
      const trace = await getJson(`${server.queryUrl}/api/traces/${t.traceID}`);
      assert.ok(trace.data[0].spans.length > 0, `${t.traceID} readable`);
    }
  }
  // The lost orders' traces were kept by flow_status: no other policy keeps a plain publish
  // (10 % of them may be kept by the baseline first).
  const samples = await sv.metricSamples(server);
  const byFlowStatus = sv.metricSum(samples, 'spanvault_sampling_traces_total', { decision: 'kept', policy: 'flow_status' });
  assert.ok(byFlowStatus >= withOutcome('lost').length / 2, `flow_status kept ${byFlowStatus} traces`);
  // The plain orders' traces went through the policies like any other (the seller's own calls
  // can fail: a 4xx on a client span is an error): kept by the first policy that matches, in
  // the configured order, the 10 % `baseline` predicted from its hash; dropped otherwise.
  let dropped = 0;
  for (const order of orders.filter((o) => o.fault === 'none')) {
    const { data } = await getJson(journeyUrl(order.order_id));
    for (const t of data.traces) {
      const where = `${order.order_id}: trace ${t.traceID}`;
      const baseline = sv.probabilisticSamples(t.traceID, 10);
      if (!t.kept) {
        assert.equal(baseline, false, `${where} is in the baseline but was dropped`);
        dropped += 1;
        continue;
      }
      const trace = (await getJson(`${server.queryUrl}/api/traces/${t.traceID}`)).data[0];
      assert.equal(sv.tagValue(sv.rootSpanOf(trace), 'sampling.policy'), expectedPolicy(trace, baseline), where);
    }
  }
  assert.ok(dropped > 0, 'sampling dropped some plain traces');
});
