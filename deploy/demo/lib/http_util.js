'use strict';
// Small JSON-over-HTTP helpers for the demo services (node:http only; the http
// instrumentation traces every request made or served through it).

const http = require('http');
const { withClientSpan } = require('./telemetry');

// Reads a request body as JSON ({} when empty). Rejects on malformed JSON.
function readJson(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('error', reject);
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      try {
        resolve(text ? JSON.parse(text) : {});
      } catch (e) {
        reject(new Error(`malformed JSON body: ${e.message}`));
      }
    });
  });
}

function sendJson(res, status, body, headers = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers,
  });
  res.end(text);
}

// Sends one request with a JSON body (or none) and resolves with {status, body}. The CLIENT
// span is named `spanName` and carries `attributes`.
function requestJson(url, { method = 'POST', body, headers = {}, spanName, attributes, timeoutMs = 10000 } = {}) {
  const u = new URL(url);
  const text = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const send = () => {
      const req = http.request({
        host: u.hostname, port: u.port, path: u.pathname + u.search, method,
        headers: {
          ...(text === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }),
          ...headers,
        },
      }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          let parsed = raw;
          try { parsed = raw ? JSON.parse(raw) : null; } catch (e) { /* not JSON: keep the text */ }
          resolve({ status: res.statusCode, headers: res.headers, body: parsed });
        });
      });
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`${method} ${url} timed out`)));
      req.on('error', reject);
      req.end(text);
    };
    if (spanName) withClientSpan(spanName, attributes, send); else send();
  });
}

// Listens on 127.0.0.1:`port` (0: any free port) and resolves with the bound port.
function listen(server, port) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server.address().port));
  });
}

function close(server) {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections?.();
  });
}

// Simulated work: a latency of `minMs`..`maxMs` (what a database call or a computation would
// take). Not used to wait for state.
function work(minMs, maxMs) {
  const ms = minMs + Math.random() * (maxMs - minMs);
  return new Promise((resolve) => setTimeout(resolve, ms));
}

module.exports = { readJson, sendJson, requestJson, listen, close, work };
