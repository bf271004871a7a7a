'use strict';
// Writes the seed corpora of tests/fuzz/corpus/ from real exporter output: the official
// OpenTelemetry JS exporters (OTLP/HTTP protobuf and JSON, plain and gzip) export the e2e
// tests' rich trace to a local HTTP server that keeps the bodies. The other seeds are typical
// inputs written out as they are. Run from the repository: node tests/fuzz/make-corpus.js

const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const zlib = require('node:zlib');
const otel = require('../e2e/lib/otel');

const out = path.join(__dirname, 'corpus');
function seed(target, name, bytes) {
  fs.mkdirSync(path.join(out, target), { recursive: true });
  fs.writeFileSync(path.join(out, target, name), bytes);
}

async function exporterBodies() {
  const bodies = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      bodies.push({ type: req.headers['content-type'], encoding: req.headers['content-encoding'], body: Buffer.concat(chunks) });
      res.writeHead(200, { 'content-type': req.headers['content-type'] });
      res.end(req.headers['content-type'].includes('json') ? '{}' : '');
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const fake = { otlpHttpUrl: `http://127.0.0.1:${server.address().port}` };
  const trace = otel.buildRichTrace({ service: 'shop-api', workerService: 'mes-api', orderId: 'A-1001', baseNs: otel.baseTimeNs(0) });
  for (const protocol of ['http/protobuf', 'http/json']) {
    for (const gzip of [false, true]) {
      const exporter = otel.createExporter(fake, protocol, { gzip });
      await otel.exportSpans(exporter, trace.spans, protocol);
      await exporter.shutdown();
    }
  }
  server.close();
  return bodies;
}

async function main() {
  for (const { type, encoding, body } of await exporterBodies()) {
    const json = type.includes('json');
    if (encoding === 'gzip') {
      seed('fuzz_gzip', json ? 'otlp.json.gz' : 'otlp.pb.gz', body);
    } else {
      seed(json ? 'fuzz_otlp_json' : 'fuzz_otlp_proto', json ? 'rich-trace.json' : 'rich-trace.pb', body);
    }
  }
  seed('fuzz_gzip', 'zeros.gz', zlib.gzipSync(Buffer.alloc(4096)));
  const queries = [
    'service=shop-api&operation=POST%20%2Forders&tags=%7B%22order_id%22%3A%22A-1001%22%7D&limit=20&lookback=1h&minDuration=10ms&maxDuration=1s&start=1764000000000000&end=1764003600000000',
    'traceID=0af7651916cd43dd8448eb211c80319c&traceID=b7ad6b7169203331',
    'service=mes-api&tag=error:true&tag=http.status_code:500&raw=true&prettyPrint=true',
    'query.service_name=shop-api&query.start_time_min=2026-11-27T10:00:00Z&query.start_time_max=2026-11-27T11:00:00.123456789%2B01:00&query.attributes=%7B%22order_id%22%3A%22A-1%22%7D&query.num_traces=5&query.duration_min=1ms',
  ];
  queries.forEach((q, i) => seed('fuzz_query_params', `query-${i}.txt`, q));
  ['0af7651916cd43dd8448eb211c80319c', 'b7ad6b7169203331', '00000000000000000000000000000000', 'xyz'].forEach(
    (id, i) => seed('fuzz_trace_id', `id-${i}.txt`, id));
  seed('fuzz_config', 'spanvault.yaml', fs.readFileSync(path.join(__dirname, '../../deploy/spanvault.yaml')));
  seed('fuzz_config', 'sampling.yaml', [
    'sampling:', '  decision_wait: 10s', '  policies:',
    '    - {name: errors, type: status_code, status_codes: [ERROR]}',
    '    - {name: slow, type: latency, threshold_ms: 2000}',
    '    - {name: some, type: probabilistic, sampling_percentage: 10}', ''].join('\n'));
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  seed('fuzz_jwt', 'token.txt', `${b64({ alg: 'RS256', kid: 'k1', typ: 'JWT' })}.${b64({ iss: 'https://idp', aud: 'spanvault', sub: 'ann', exp: 4102444800, groups: ['devops'] })}.c2lnbmF0dXJl`);
  seed('fuzz_jwt', 'jwks.json', JSON.stringify({ keys: [{ kty: 'EC', crv: 'P-256', kid: 'k1', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0' }] }));
}

main().catch((e) => { console.error(e); process.exit(1); });
