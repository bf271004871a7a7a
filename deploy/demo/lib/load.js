'use strict';
// The load driver: places orders on shop-api at a steady rate, each with the fault the plan
// gives it, and writes the ground truth (one JSON line per order) as answers come back.

const fs = require('node:fs');
const http = require('node:http');
const { setTimeout: delay } = require('node:timers/promises');

// What each fault does to an order, in the terms of deploy/demo/flows.yaml: the last step the
// order reaches and how its journey ends.
const OUTCOMES = {
  none: { outcome: 'completed', last_step: 'confirmed' },
  delayed: { outcome: 'completed', last_step: 'confirmed' },
  'broken-propagation': { outcome: 'completed', last_step: 'confirmed' },
  lost: { outcome: 'lost', last_step: 'published' },
  'mes-error': { outcome: 'failed', last_step: 'consumed' },
  'seller-5xx': { outcome: 'failed', last_step: 'confirmed' },
};

function postOrder(shopUrl, order, fault) {
  const body = JSON.stringify(order);
  const u = new URL('/orders', shopUrl);
  return new Promise((resolve) => {
    const req = http.request({
      host: u.hostname, port: u.port, path: u.pathname, method: 'POST',
      headers: {
        'content-type': 'application/json', 'content-length': Buffer.byteLength(body),
        ...(fault === 'none' ? {} : { 'x-demo-fault': fault }),
      },
    }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode, traceId: res.headers['x-trace-id'] || null }));
    });
    req.setTimeout(30000, () => req.destroy(new Error('timed out')));
    req.on('error', (e) => resolve({ status: 0, error: e.message, traceId: null }));
    req.end(body);
  });
}

// Places floor(ordersPerMin x durationMs / 1 min) orders (at least one), evenly spaced, and
// resolves with the ground-truth records once every order was answered. Stops placing new
// orders when `signal` aborts.
async function driveLoad({ shopUrl, ordersPerMin, durationMs, plan, random, queueDelayMs, runId,
                           groundTruthFile, signal, log = () => {} }) {
  const count = Math.max(1, Math.floor((ordersPerMin * durationMs) / 60000));
  const intervalMs = 60000 / ordersPerMin;
  const out = fs.createWriteStream(groundTruthFile, { flags: 'w' });
  const records = [];
  const pending = [];
  const started = Date.now();
  for (let i = 0; i < count && !signal.aborted; i++) {
    const due = started + i * intervalMs;
    if (due > Date.now()) {
      try {
        await delay(due - Date.now(), undefined, { signal });  // the order rate, not a wait for state
      } catch (e) {
        break;
      }
    }
    const fault = plan.next();
    const order = {
      order_id: `ord-${runId}-${String(i + 1).padStart(5, '0')}`,
      user_id: `user-${1 + Math.floor(random() * 500)}`,
      seller_id: `seller-${1 + Math.floor(random() * 5)}`,
    };
    const placedAt = new Date();
    pending.push(postOrder(shopUrl, order, fault).then((answer) => {
      const record = {
        ...order,
        fault,
        faults: fault === 'none' ? [] : [fault],
        ...(fault === 'delayed' ? { queue_delay_ms: queueDelayMs } : {}),
        expected: OUTCOMES[fault],
        placed_at: placedAt.toISOString(),
        answered_at: new Date().toISOString(),
        http_status: answer.status,
        ...(answer.error ? { error: answer.error } : {}),
        trace_id: answer.traceId,
      };
      if (answer.status !== 201) log(`order ${order.order_id}: shop-api answered ${answer.status} ${answer.error || ''}`);
      records.push(record);
      out.write(`${JSON.stringify(record)}\n`);
    }));
  }
  await Promise.all(pending);
  await new Promise((resolve, reject) => out.end((e) => (e ? reject(e) : resolve())));
  records.sort((a, b) => a.order_id.localeCompare(b.order_id));
  return records;
}

module.exports = { driveLoad, OUTCOMES };
