'use strict';
// The load of one iteration: concurrent clients, each sending raw OTLP export requests over
// OTLP/HTTP (protobuf) and OTLP/gRPC until the iteration ends (the kill), and recording every
// answer in the ledger. A client first retries some requests whose outcome is unknown (as an
// exporter retries after a connection error), then sends new spans: of new traces and of
// traces it began earlier, possibly before a restart.

const { setTimeout: pause } = require('node:timers/promises');
const e2e = require('./e2e');
const { newTrace, encodeSpans } = require('./model');

const grpc = e2e.require('@grpc/grpc-js');
const proto = e2e.require('./lib/otlp_proto');
const { request } = e2e.require('./lib/http');

const EXPORT_METHOD = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';
const MAX_OPEN_TRACES = 24;

// What an answer means. Acknowledged: HTTP 200 / gRPC OK with no rejected spans. Anything
// else (an error status, a reset connection, a partial success) promises nothing either way:
// part of the request may be stored (a failed answer can follow a stored part), so it is
// "unknown" and may be retried.
function outcomeOfResponse(body) {
  const response = proto.decodeResponse(body);
  const partial = response.partialSuccess;
  if (partial && Number(partial.rejectedSpans || 0) > 0) {
    return { outcome: 'unknown', reason: `partial success: ${partial.rejectedSpans} rejected`, rejected: true };
  }
  return { outcome: 'acked' };
}

async function sendHttp(server, body) {
  try {
    const res = await request(`${server.otlpHttpUrl}/v1/traces`, {
      method: 'POST', body, headers: { 'Content-Type': 'application/x-protobuf' }, timeoutMs: 30000,
    });
    if (res.status !== 200) return { outcome: 'unknown', reason: `HTTP ${res.status}` };
    return outcomeOfResponse(res.body);
  } catch (e) {
    return { outcome: 'unknown', reason: e.code || 'connection error' };
  }
}

function sendGrpc(client, body) {
  return new Promise((resolve) => {
    client.makeUnaryRequest(EXPORT_METHOD, (b) => b, (b) => b, body, { deadline: Date.now() + 30000 },
                            (err, response) => {
                              if (err) resolve({ outcome: 'unknown', reason: `gRPC ${grpc.status[err.code] || err.code}` });
                              else resolve(outcomeOfResponse(response));
                            });
  });
}

// One client's state across iterations: its open traces and its own PRNG.
class Client {
  constructor(id, rng, ledger) {
    this.id = id;
    this.rng = rng;
    this.ledger = ledger;
    this.open = [];  // traces with spans still to send
    this.retries = [];  // unknown requests picked for a retry
  }

  // The next request: a retry if one is queued, else 1 to 3 traces (new or open), each with 1
  // to 4 of its next spans; one request in eight is a large batch of 10 to 30 traces, which
  // keeps the server busy long enough for kills to land while it is processed.
  nextRequest() {
    if (this.retries.length > 0) return this.retries.shift();
    const spans = [];
    const count = this.rng.chance(0.125) ? this.rng.int(10, 30) : this.rng.int(1, 3);
    const used = new Set();
    for (let i = 0; i < count; i++) {
      let trace;
      const continuing = this.open.filter((t) => !used.has(t));
      if (continuing.length > 0 && (this.open.length >= MAX_OPEN_TRACES || this.rng.chance(0.5))) {
        trace = this.rng.pick(continuing);
      } else {
        trace = newTrace(this.rng, this.id, Date.now());
        this.ledger.addTrace(trace);
        this.open.push(trace);
      }
      used.add(trace);
      const n = Math.min(this.rng.int(1, 4), trace.order.length - trace.sent);
      for (const span of trace.order.slice(trace.sent, trace.sent + n)) spans.push({ trace, span });
      trace.sent += n;
      if (trace.sent === trace.order.length) this.open = this.open.filter((t) => t !== trace);
    }
    return this.ledger.newRequest(this.id, spans);
  }

  // Sends requests to `server` until `iteration.stopping`; `paceMs` [lo, hi] between two.
  // Calls `iteration.onSend`, when set, as each request leaves.
  async run(server, iteration, stats, paceMs) {
    const grpcClient = new grpc.Client(server.otlpGrpcAddress, grpc.credentials.createInsecure());
    try {
      while (!iteration.stopping) {
        const req = this.nextRequest();
        const transport = this.rng.chance(0.5) ? 'grpc' : 'http';
        const body = encodeSpans(req.spans);
        const sending = transport === 'grpc' ? sendGrpc(grpcClient, body) : sendHttp(server, body);
        if (iteration.onSend) iteration.onSend();  // the kill may now land on this request
        const answer = await sending;
        this.ledger.settle(req, iteration.number, transport, answer.outcome, answer.reason);
        stats.count(answer);
        await pause(this.rng.int(paceMs[0], paceMs[1]));
      }
    } finally {
      grpcClient.close();
    }
  }
}

// Tallies of one iteration's answers.
class Stats {
  constructor() {
    this.acked = 0;
    this.unknown = 0;
    this.rejected = 0;
    this.reasons = new Map();
  }

  count(answer) {
    if (answer.outcome === 'acked') {
      this.acked++;
      return;
    }
    this.unknown++;
    if (answer.rejected) this.rejected++;
    this.reasons.set(answer.reason, (this.reasons.get(answer.reason) || 0) + 1);
  }
}

module.exports = { Client, Stats };
