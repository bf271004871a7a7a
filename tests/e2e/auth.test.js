'use strict';
// Authentication and what each caller sees, against the real binary: no credentials get 401
// with the Basic challenge (the UI too); a wrong password 401, then 429 with Retry-After once
// the user is locked out; the admin's password from the first start works; OIDC JWTs signed by
// the test's own key are accepted with their group's role, and forged, expired, wrong-audience,
// wrong-issuer and alg:none tokens are refused; keys are also fetched from an https issuer's
// discovery document and refetched for a new kid; identity headers count only from the trusted
// proxy address; a support caller sees only the order path, with personal data redacted and
// out-of-scope spans as placeholders.

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const https = require('node:https');
const os = require('node:os');
const path = require('node:path');
const { test, before, after } = require('./lib/harness');
const { SpanvaultServer } = require('./lib/server');
const { request } = require('./lib/http');
const { Pki } = require('./lib/pki');
const { waitFor } = require('./lib/wait');
const otel = require('./lib/otel');

const { api, ms, hr } = otel;
const ISSUER = 'https://login.example.test/realms/shop';
const AUDIENCE = 'spanvault';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spanvault-auth-'));
const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwksFile = path.join(dir, 'jwks.json');
fs.writeFileSync(jwksFile, JSON.stringify({
  keys: [{ ...publicKey.export({ format: 'jwk' }), kid: 'k1', use: 'sig', alg: 'RS256' }],
}));
const configFile = path.join(dir, 'spanvault.yaml');
fs.writeFileSync(configFile, [
  'auth:',
  '  oidc:',
  `    issuer: ${ISSUER}`,
  `    audience: ${AUDIENCE}`,
  `    jwks_file: ${jwksFile}`,
  '  proxy:',
  '    trusted_cidrs: [127.0.0.1/32]',
  '  group_roles:',
  '    support-team: [support]',
  '    developers: [dev]',
  '',
].join('\n'));

let server;

before(async () => {
  server = new SpanvaultServer({ name: 'auth', args: ['--config', configFile] });
  await server.start();
  await sendOrderTrace(server);
});

after(async () => {
  if (server) await server.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const b64url = (data) => Buffer.from(data).toString('base64url');

// A JWT signed with the test's key (or as `alg`/`sign` say, for forgeries).
function jwt(claims, { alg = 'RS256', kid = 'k1', key = privateKey, sign = true } = {}) {
  const now = Math.floor(Date.now() / 1000);
  const header = b64url(JSON.stringify({ alg, typ: 'JWT', kid }));
  const payload = b64url(JSON.stringify({
    iss: ISSUER, aud: AUDIENCE, sub: 'jo', iat: now, exp: now + 600, ...claims,
  }));
  const input = `${header}.${payload}`;
  const signature = sign ? b64url(crypto.sign('sha256', Buffer.from(input), key)) : '';
  return `${input}.${signature}`;
}

const basic = (user, password) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

function get(pathAndQuery, headers = {}) {
  return request(`${server.queryOrigin}${pathAndQuery}`, { headers });
}

// shop-api (an order with a user id) -> billing-api, a service outside support's scope.
let orderTrace;
async function sendOrderTrace(s) {
  const base = otel.baseTimeNs(60000);
  const shop = otel.memoryProvider({ 'service.name': 'shop-api' });
  const billing = otel.memoryProvider({ 'service.name': 'billing-api' });
  const root = otel.startSpan(shop.provider.getTracer('t'), 'POST /orders', {
    kind: api.SpanKind.SERVER, at: base, attributes: { order_id: 'A-7001', user_id: 'u-42' },
  });
  const child = otel.startSpan(billing.provider.getTracer('t'), 'charge card', {
    parent: root, at: base + ms(1), attributes: { 'card.last4': '4242' },
  });
  child.end(hr(base + ms(5)));
  root.end(hr(base + ms(10)));
  const exporter = otel.createExporter(s, 'grpc');
  await otel.exportSpans(exporter, [...shop.memory.getFinishedSpans(), ...billing.memory.getFinishedSpans()]);
  orderTrace = root.spanContext().traceId;
  await waitFor(async () => (await request(`${s.queryUrl}/api/traces/${orderTrace}`)).status === 200,
                { what: 'the order trace' });
}

test('no credentials: 401 with the Basic challenge, on the API and on the UI', async () => {
  for (const p of ['/api/services', '/api/v3/services', '/search']) {
    const res = await get(p);
    assert.equal(res.status, 401, p);
    assert.match(res.headers['www-authenticate'], /^Basic realm="spanvault"/, p);
  }
});

test('the first-start admin password works; a wrong one is refused, then throttled', async () => {
  const ok = await get('/api/services', { Authorization: basic('admin', server.adminPassword) });
  assert.equal(ok.status, 200);
  assert.deepEqual(JSON.parse(ok.text).data.sort(), ['billing-api', 'shop-api']);
  assert.equal((fs.statSync(path.join(server.dataDir, 'initial-admin-password')).mode & 0o777), 0o600);

  for (let i = 0; i < 5; i++) {
    const res = await get('/api/services', { Authorization: basic('victim', 'wrong') });
    assert.equal(res.status, 401, `failure ${i + 1}`);
    assert.equal(JSON.parse(res.text).errors[0].msg, 'invalid credentials');
  }
  const locked = await get('/api/services', { Authorization: basic('victim', 'wrong') });
  assert.equal(locked.status, 429);
  assert.ok(Number(locked.headers['retry-after']) >= 1, 'Retry-After');
  // Another user from the same address is not locked out by victim's failures.
  const admin = await get('/api/services', { Authorization: basic('admin', server.adminPassword) });
  assert.equal(admin.status, 200);
});

test('OIDC: a valid JWT gets its group\'s role; forged and stale tokens are refused', async () => {
  const dev = await get('/api/services', { Authorization: `Bearer ${jwt({ groups: ['developers'] })}` });
  assert.equal(dev.status, 200, dev.text);
  assert.deepEqual(JSON.parse(dev.text).data.sort(), ['billing-api', 'shop-api']);

  const now = Math.floor(Date.now() / 1000);
  const { privateKey: otherKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const refused = {
    'another key': jwt({ groups: ['developers'] }, { key: otherKey }),
    'expired': jwt({ groups: ['developers'], exp: now - 3600 }),
    'wrong audience': jwt({ groups: ['developers'], aud: 'someone-else' }),
    'wrong issuer': jwt({ groups: ['developers'], iss: 'https://evil.example' }),
    'alg none': jwt({ groups: ['developers'] }, { alg: 'none', sign: false }),
    'tampered': jwt({ groups: ['support-team'] }).replace(/\.[^.]+\./,
        `.${b64url(JSON.stringify({ iss: ISSUER, aud: AUDIENCE, sub: 'jo', exp: now + 600, groups: ['admins'] }))}.`),
  };
  for (const [what, token] of Object.entries(refused)) {
    const res = await get('/api/services', { Authorization: `Bearer ${token}` });
    assert.equal(res.status, 401, `${what}: ${res.text}`);
  }
  // A valid token whose groups map to no role reads nothing.
  const none = await get('/api/services', { Authorization: `Bearer ${jwt({ groups: ['visitors'] })}` });
  assert.equal(none.status, 403, none.text);
});

test('a support caller sees the order path only, personal data redacted, billing as a placeholder', async () => {
  const support = { Authorization: `Bearer ${jwt({ sub: 'sam', groups: ['support-team'] })}` };
  const services = await get('/api/services', support);
  assert.deepEqual(JSON.parse(services.text).data, ['shop-api']);
  const ops = await get('/api/services/billing-api/operations', support);
  assert.deepEqual(JSON.parse(ops.text).data, []);

  const res = await get(`/api/traces/${orderTrace}`, support);
  assert.equal(res.status, 200, res.text);
  const trace = JSON.parse(res.text).data[0];
  const byName = Object.fromEntries(trace.spans.map((s) => [s.operationName, s]));
  const tags = Object.fromEntries(byName['POST /orders'].tags.map((t) => [t.key, t.value]));
  assert.equal(tags.order_id, 'A-7001');
  assert.equal(tags.user_id, '[redacted]');
  const hidden = byName['[hidden]'];
  assert.ok(hidden, `a placeholder span: ${Object.keys(byName)}`);
  assert.equal(trace.processes[hidden.processID].serviceName, '[hidden]');
  assert.ok(!hidden.tags.some((t) => t.key === 'card.last4'), 'no billing attributes');
  assert.equal(hidden.references[0].spanID, byName['POST /orders'].spanID);

  // Searching billing-api finds nothing; searching by the redacted value finds nothing.
  const billing = await get('/api/traces?service=billing-api&limit=20', support);
  assert.deepEqual(JSON.parse(billing.text).data, []);
  const byUser = await get(`/api/traces?service=shop-api&tags=${encodeURIComponent('{"user_id":"u-42"}')}`, support);
  assert.deepEqual(JSON.parse(byUser.text).data, []);
  const byOrder = await get(`/api/traces?service=shop-api&tags=${encodeURIComponent('{"order_id":"A-7001"}')}`, support);
  assert.equal(JSON.parse(byOrder.text).data.length, 1);
});

test('identity headers count from the trusted proxy address only', async () => {
  const headers = { 'X-Forwarded-User': 'pat', 'X-Forwarded-Groups': 'support-team' };
  const trusted = await get('/api/services', headers);
  assert.equal(trusted.status, 200, trusted.text);
  assert.deepEqual(JSON.parse(trusted.text).data, ['shop-api']);

  // The same headers, from an address the proxy list does not hold.
  const yaml = fs.readFileSync(configFile, 'utf8').replace('127.0.0.1/32', '127.0.0.2/32');
  const untrustedConfig = path.join(dir, 'untrusted.yaml');
  fs.writeFileSync(untrustedConfig, yaml);
  const other = new SpanvaultServer({ name: 'auth-untrusted', args: ['--config', untrustedConfig] });
  try {
    await other.start();
    const res = await request(`${other.queryOrigin}/api/services`, { headers });
    assert.equal(res.status, 401, res.text);
    await waitFor(() => /ignored X-Forwarded-User from untrusted address/.test(other.output()),
                  { what: 'the ignored proxy headers to be logged' });
  } finally {
    await other.close();
  }
});

// An OIDC issuer over https (a test CA): its discovery document and key set, and a log of what
// was asked.
async function startIssuer(pki) {
  const cert = pki.issue('idp');
  const idp = { keys: [], requests: [] };
  idp.server = https.createServer({
    cert: fs.readFileSync(cert.cert), key: fs.readFileSync(cert.key),
  }, (req, res) => {
    idp.requests.push(req.url);
    res.setHeader('Content-Type', 'application/json');
    if (req.url === '/realms/shop/.well-known/openid-configuration') {
      res.end(JSON.stringify({ issuer: idp.issuer, jwks_uri: `${idp.issuer}/protocol/certs` }));
    } else if (req.url === '/realms/shop/protocol/certs') {
      res.end(JSON.stringify({ keys: idp.keys }));
    } else {
      res.statusCode = 404;
      res.end('{}');
    }
  });
  await new Promise((resolve) => idp.server.listen(0, '127.0.0.1', resolve));
  idp.issuer = `https://127.0.0.1:${idp.server.address().port}/realms/shop`;
  return idp;
}

test('OIDC keys come from the issuer\'s discovery document over https, refetched for a new kid', async () => {
  const pki = new Pki('idp');
  const idp = await startIssuer(pki);
  const jwk = (key, kid) => ({ ...key.export({ format: 'jwk' }), kid, use: 'sig', alg: 'RS256' });
  idp.keys = [jwk(publicKey, 'k1')];
  const fetchingConfig = path.join(dir, 'fetching.yaml');
  fs.writeFileSync(fetchingConfig, [
    'auth:', '  oidc:', `    issuer: ${idp.issuer}`, `    audience: ${AUDIENCE}`,
    `    ca_file: ${pki.caCert}`, '    jwks_min_interval: 1s',
    '  group_roles:', '    developers: [dev]', '',
  ].join('\n'));
  const fetching = new SpanvaultServer({ name: 'auth-oidc-fetch', args: ['--config', fetchingConfig] });
  try {
    await fetching.start();
    await sendOrderTrace(fetching);
    const services = (token) => request(`${fetching.queryOrigin}/api/services`,
                                        { headers: { Authorization: `Bearer ${token}` } });
    const first = await services(jwt({ iss: idp.issuer, groups: ['developers'] }));
    assert.equal(first.status, 200, first.text);
    assert.deepEqual(JSON.parse(first.text).data.sort(), ['billing-api', 'shop-api']);
    assert.deepEqual(idp.requests, ['/realms/shop/.well-known/openid-configuration',
                                    '/realms/shop/protocol/certs']);

    // The issuer rotates to a new key: a token signed with it is accepted once refetched.
    const { privateKey: newKey, publicKey: newPublic } =
        crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    idp.keys = [jwk(publicKey, 'k1'), jwk(newPublic, 'k2')];
    const rotated = jwt({ iss: idp.issuer, groups: ['developers'] }, { kid: 'k2', key: newKey });
    await waitFor(async () => (await services(rotated)).status === 200,
                  { what: 'the token signed with the new key to be accepted' });
    assert.equal(idp.requests.filter((u) => u.endsWith('/certs')).length >= 2, true);
    // A forged kid does not make the server hammer the issuer: at most one fetch per
    // jwks_min_interval (1 s here; these five requests may straddle one boundary).
    const asked = idp.requests.length;
    for (let i = 0; i < 5; i++) {
      const forged = await services(jwt({ iss: idp.issuer }, { kid: 'k9', key: newKey }));
      assert.equal(forged.status, 401, forged.text);
    }
    assert.ok(idp.requests.length <= asked + 2, `${idp.requests.length - asked} fetches`);
  } finally {
    await fetching.close();
    idp.server.close();
    pki.remove();
  }
});
