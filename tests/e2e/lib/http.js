'use strict';
// Small HTTP helpers over node:http, so every byte of a request (chunked or not, headers,
// encodings) is under the test's control.

const http = require('node:http');
const assert = require('node:assert/strict');

// Sends one request. `body` is a Buffer/string (sent with Content-Length unless `chunked`),
// or an async iterable of Buffers (always chunked). Resolves with
// {status, headers, body: Buffer, text, json()}. `rawPath` sends that request target as is
// (URL parsing would resolve dot segments).
function request(url, { method = 'GET', headers = {}, body, chunked = false, timeoutMs = 60000, rawPath } = {}) {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const h = { ...headers };
    const isIterable = body && typeof body[Symbol.asyncIterator] === 'function';
    if (body !== undefined && !isIterable && !chunked) {
      h['Content-Length'] = Buffer.byteLength(body);
    }
    const auth = u.username
        ? `${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}` : undefined;
    const req = http.request({
      host: u.hostname, port: u.port, path: rawPath || u.pathname + u.search, method, headers: h,
      agent: false, auth,
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const buf = Buffer.concat(chunks);
        const text = buf.toString('utf8');
        resolve({
          status: res.statusCode,
          headers: res.headers,
          body: buf,
          text,
          json() {
            try {
              return JSON.parse(text);
            } catch (e) {
              throw new Error(`${method} ${shown(url)} → ${res.statusCode}: body is not JSON: ${text.slice(0, 500)}`);
            }
          },
        });
      });
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`${method} ${shown(url)} timed out`)));
    req.on('error', reject);
    if (body === undefined) {
      req.end();
    } else if (isIterable) {
      (async () => {
        for await (const chunk of body) {
          if (!req.write(chunk)) await new Promise((r) => req.once('drain', r));
        }
        req.end();
      })().catch((e) => req.destroy(e));
    } else if (chunked) {
      const buf = Buffer.from(body);
      const half = Math.floor(buf.length / 2);
      req.write(buf.subarray(0, half));
      req.end(buf.subarray(half));
    } else {
      req.end(body);
    }
  });
}

// GET `url` and return the parsed JSON, asserting the status (default 200).
// `url` without the credentials it may carry, for messages.
function shown(url) {
  return String(url).replace(/\/\/[^@/]*@/, '//');
}

async function getJson(url, { status = 200 } = {}) {
  const res = await request(url);
  assert.equal(res.status, status, `GET ${shown(url)}: want ${status}, got ${res.status}: ${res.text.slice(0, 2000)}`);
  return res.json();
}

// Builds a query string from [key, value] pairs or an object (repeated keys via pairs).
function qs(params) {
  const pairs = Array.isArray(params) ? params : Object.entries(params);
  return pairs
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
      .join('&');
}

module.exports = { request, getJson, qs, shown };
