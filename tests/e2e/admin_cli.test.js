'use strict';
// spanvaultctl against the real binary: every admin call needs credentials and the admin action
// it names; users, roles, tokens, login and the audit log through the command line, with the
// refusals and exit codes a script sees, and the effect of each change on the query API.

const assert = require('node:assert/strict');
const { execFile } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { test, before, after } = require('./lib/harness');
const { SpanvaultServer, ctlPath } = require('./lib/server');
const { request } = require('./lib/http');
const { waitFor } = require('./lib/wait');
const otel = require('./lib/otel');

const { api, ms, hr } = otel;
const SALLY_PASSWORD = 'sally-very-secret-1';

let server;
let orderTrace;

before(async () => {
  server = new SpanvaultServer({ name: 'admin-cli' });
  await server.start();
  orderTrace = await sendOrderTrace();
});

after(async () => {
  if (server) await server.close();
});

// shop-api (an order with personal data and a card) -> billing-api.
async function sendOrderTrace() {
  const base = otel.baseTimeNs(60000);
  const shop = otel.memoryProvider({ 'service.name': 'shop-api' });
  const billing = otel.memoryProvider({ 'service.name': 'billing-api' });
  const root = otel.startSpan(shop.provider.getTracer('t'), 'POST /orders', {
    kind: api.SpanKind.SERVER, at: base,
    attributes: { order_id: 'A-9001', user_id: 'u-7', email: 'jo@example.com', 'card.last4': '4242' },
  });
  const child = otel.startSpan(billing.provider.getTracer('t'), 'charge card', {
    parent: root, at: base + ms(1), attributes: { amount: 12 },
  });
  child.end(hr(base + ms(5)));
  root.end(hr(base + ms(10)));
  await otel.exportSpans(otel.createExporter(server, 'grpc'),
                         [...shop.memory.getFinishedSpans(), ...billing.memory.getFinishedSpans()]);
  const traceId = root.spanContext().traceId;
  await waitFor(async () => (await request(`${server.queryUrl}/api/traces/${traceId}`)).status === 200,
                { what: 'the order trace' });
  return traceId;
}

// Runs spanvaultctl; `env` overrides the admin's environment (undefined removes a variable);
// `input` goes to stdin. Resolves { code, stdout, stderr }.
function ctl(args, { env = {}, input } = {}) {
  return new Promise((resolve) => {
    const child = execFile(ctlPath(), ['--server', server.adminGrpcAddress, ...args],
                           { timeout: 30000, env: server.ctlEnv(env) },
                           (err, stdout, stderr) => {
                             const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
                             resolve({ code, stdout, stderr });
                           });
    child.stdin.end(input === undefined ? '' : input);
  });
}

async function ok(args, options) {
  const r = await ctl(args, options);
  assert.equal(r.code, 0, `spanvaultctl ${args.join(' ')}: exit ${r.code}, stderr ${r.stderr}`);
  return r;
}

const asSally = { SPANVAULT_USER: 'sally', SPANVAULT_PASSWORD: SALLY_PASSWORD };
const noCredentials = { SPANVAULT_USER: undefined, SPANVAULT_PASSWORD: undefined };
const bearer = (token) => ({ Authorization: `Bearer ${token}` });
const query = (p, headers) => request(`${server.queryOrigin}${p}`, { headers });

test('no or wrong credentials are refused with exit 1', async () => {
  const none = await ctl(['users', 'list'], { env: noCredentials });
  assert.equal(none.code, 1);
  assert.equal(none.stderr.trim(), 'spanvaultctl: credentials required');
  const wrong = await ctl(['sampling', 'list'], { env: { SPANVAULT_PASSWORD: 'not-the-password' } });
  assert.equal(wrong.code, 1);
  assert.equal(wrong.stderr.trim(), 'spanvaultctl: invalid credentials');
  const userWithoutPassword = await ctl(['status'], { env: { SPANVAULT_PASSWORD: undefined } });
  assert.equal(userWithoutPassword.code, 1);
  assert.match(userWithoutPassword.stderr, /SPANVAULT_PASSWORD/);
});

test('--insecure-no-auth opens the query API only: admin calls still need credentials', async () => {
  const open = new SpanvaultServer({ name: 'admin-cli-no-auth', args: ['--insecure-no-auth'] });
  await open.start();
  try {
    const run = (env) => new Promise((resolve) => {
      execFile(ctlPath(), ['--server', open.adminGrpcAddress, 'sampling', 'list'],
               { timeout: 30000, env: open.ctlEnv(env) },
               (err, stdout, stderr) => resolve({ code: err ? err.code : 0, stderr }));
    });
    const refused = await run(noCredentials);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /credentials required/);
    assert.equal((await run({})).code, 0);
  } finally {
    await open.close();
  }
});

test('status says who the caller is', async () => {
  const r = await ok(['-o', 'json', 'status']);
  const me = JSON.parse(r.stdout);
  assert.equal(me.principal, 'admin');
  assert.deepEqual(me.roles, ['admin']);
  assert.equal(me.method, 'basic');
  assert.ok(me.actions.includes('admin:users'));
});

test('users: add with a piped or generated password, list, grant, revoke, passwd, remove', async () => {
  const added = await ok(['users', 'add', 'sally', '--role', 'support', '--password-stdin'],
                         { input: `${SALLY_PASSWORD}\n` });
  assert.match(added.stdout, /user sally added with role\(s\) support/);
  assert.doesNotMatch(added.stdout, /password/);

  const generated = await ok(['users', 'add', 'gen', '--role', 'support']);
  const password = generated.stdout.match(/password \(shown only now\): (\S+)/)[1];
  const gen = await ok(['-o', 'json', 'status'], { env: { SPANVAULT_USER: 'gen', SPANVAULT_PASSWORD: password } });
  assert.equal(JSON.parse(gen.stdout).principal, 'gen');

  const listed = await ok(['users', 'list']);
  assert.match(listed.stdout, /^NAME\s+ROLES\s+CREATED\s+STATE$/m);
  assert.match(listed.stdout, /^sally\s+support\s+\S+\s+enabled$/m);
  const duplicate = await ctl(['users', 'add', 'sally', '--role', 'support']);
  assert.equal(duplicate.code, 1);
  assert.match(duplicate.stderr, /^spanvaultctl: .*sally/);

  const granted = await ok(['-o', 'json', 'users', 'grant', 'gen', '--role', 'devops']);
  assert.deepEqual(JSON.parse(granted.stdout).roles, ['support', 'devops']);
  const revoked = await ok(['-o', 'json', 'users', 'revoke', 'gen', '--role', 'support']);
  assert.deepEqual(JSON.parse(revoked.stdout).roles, ['devops']);

  await ok(['users', 'passwd', 'gen', '--password-stdin'], { input: 'a-new-password-1\n' });
  const oldPassword = await ctl(['status'], { env: { SPANVAULT_USER: 'gen', SPANVAULT_PASSWORD: password } });
  assert.equal(oldPassword.code, 1);
  await ok(['status'], { env: { SPANVAULT_USER: 'gen', SPANVAULT_PASSWORD: 'a-new-password-1' } });

  await ok(['users', 'remove', 'gen']);
  assert.doesNotMatch((await ok(['users', 'list'])).stdout, /^gen\s/m);
});

test('the last administrator cannot be removed or lose the admin role', async () => {
  // A user manager (admin:users without admin:roles) is not an administrator who could repair
  // the roles, so the admin stays the last one.
  await ok(['roles', 'create', 'user-manager', '--allow', 'admin:users']);
  const added = await ok(['users', 'add', 'uma', '--role', 'user-manager']);
  const password = added.stdout.match(/password \(shown only now\): (\S+)/)[1];
  const asUma = { SPANVAULT_USER: 'uma', SPANVAULT_PASSWORD: password };
  for (const args of [['users', 'remove', 'admin'], ['users', 'revoke', 'admin', '--role', 'admin']]) {
    const refused = await ctl(args, { env: asUma });
    assert.equal(refused.code, 1, args.join(' '));
    assert.match(refused.stderr, /no enabled user who can administer users and roles/);
  }
  const me = JSON.parse((await ok(['-o', 'json', 'status'])).stdout);
  assert.deepEqual(me.roles, ['admin']);
  await ok(['users', 'remove', 'uma']);
  await ok(['roles', 'delete', 'user-manager']);
});

test('a support user is denied every admin command with the action it lacks', async () => {
  const users = await ctl(['users', 'list'], { env: asSally });
  assert.equal(users.code, 1);
  assert.equal(users.stderr.trim(), 'spanvaultctl: permission denied: role(s) "support" lack admin:users');
  const sampling = await ctl(['sampling', 'list'], { env: asSally });
  assert.equal(sampling.code, 1);
  assert.match(sampling.stderr, /lack admin:sampling/);
  const audit = await ctl(['audit', 'list'], { env: asSally });
  assert.match(audit.stderr, /lack admin:audit/);
  const tokens = await ctl(['tokens', 'create', '--name', 'x', '--role', 'admin'], { env: asSally });
  assert.equal(tokens.code, 1);
  assert.match(tokens.stderr, /lack admin:tokens/);
});

test('a token works for queries with its role and stops working when revoked', async () => {
  const created = await ok(['-o', 'json', 'tokens', 'create', '--name', 'sally-grafana',
                            '--role', 'support', '--expires', '720h']);
  const { id, token, expires_at: expires } = JSON.parse(created.stdout);
  assert.match(token, /^svt_[0-9a-f]{16}_[0-9a-f]{64}$/);
  assert.notEqual(expires, '-');

  const services = await query('/api/services', bearer(token));
  assert.equal(services.status, 200, services.text);
  assert.deepEqual(JSON.parse(services.text).data, ['shop-api']);

  const listed = await ok(['tokens', 'list']);
  assert.match(listed.stdout, new RegExp(`^${id}\\s+sally-grafana\\s+admin\\s+support\\s+\\S+\\s+active$`, 'm'));
  assert.ok(!listed.stdout.includes(token.slice(21)), 'no secret in the listing');

  await ok(['tokens', 'revoke', id]);
  const after = await query('/api/services', bearer(token));
  assert.equal(after.status, 401);
  assert.match((await ok(['tokens', 'list'])).stdout, new RegExp(`^${id}\\s.*revoked$`, 'm'));
  const unknown = await ctl(['tokens', 'revoke', '0123456789abcdef']);
  assert.equal(unknown.code, 1);
});

test('login stores a private token that later commands use', async () => {
  const home = path.join(server.rootDir, 'sally-config');
  const env = { ...asSally, XDG_CONFIG_HOME: home };
  const login = await ok(['login'], { env });
  assert.match(login.stdout, /logged in to .* as sally until /);
  const file = path.join(home, 'spanvault', 'credentials');
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  assert.equal(fs.statSync(path.dirname(file)).mode & 0o777, 0o700);
  const stored = JSON.parse(fs.readFileSync(file, 'utf8'));
  assert.equal(stored.server, server.adminGrpcAddress);
  assert.ok(!fs.readFileSync(file, 'utf8').includes(SALLY_PASSWORD));

  const me = await ok(['-o', 'json', 'status'], { env: { ...noCredentials, XDG_CONFIG_HOME: home } });
  assert.deepEqual(JSON.parse(me.stdout).roles, ['support']);
  assert.equal(JSON.parse(me.stdout).method, 'token');
  const denied = await ctl(['users', 'list'], { env: { ...noCredentials, XDG_CONFIG_HOME: home } });
  assert.match(denied.stderr, /lack admin:users/);
  // A token cannot mint a token for itself.
  const again = await ctl(['login'], { env: { ...noCredentials, SPANVAULT_TOKEN: stored.token } });
  assert.equal(again.code, 1);
  const byToken = await ctl(['-o', 'json', 'tokens', 'create', '--name', 'x', '--role', 'support'],
                            { env: { ...noCredentials, SPANVAULT_TOKEN: stored.token } });
  assert.match(byToken.stderr, /lack admin:tokens/);
});

test('a custom role restricts services and redacts and hides attributes as created', async () => {
  await ok(['roles', 'create', 'orders-only', '--services', 'shop-api', '--redact', 'user_id,email',
            '--hide', 'card.*', '--allow', 'traces:read']);
  const shown = JSON.parse((await ok(['-o', 'json', 'roles', 'show', 'orders-only'])).stdout);
  assert.deepEqual(shown.services, ['shop-api']);
  assert.deepEqual(shown.actions, ['traces:read']);
  assert.deepEqual(shown.attribute_rules, [
    { key: 'card.*', access: 'hide' }, { key: 'user_id', access: 'redact' },
    { key: 'email', access: 'redact' }]);
  assert.match((await ok(['roles', 'list'])).stdout, /^orders-only\s+traces:read\s+shop-api\s/m);

  const { id, token } = JSON.parse((await ok(['-o', 'json', 'tokens', 'create', '--name', 'orders',
                                              '--role', 'orders-only'])).stdout);
  const tagsOfOrder = async () => {
    const res = await query(`/api/traces/${orderTrace}`, bearer(token));
    assert.equal(res.status, 200, res.text);
    const trace = JSON.parse(res.text).data[0];
    const root = trace.spans.find((s) => s.operationName === 'POST /orders');
    assert.ok(trace.spans.some((s) => s.operationName === '[hidden]'), 'billing is a placeholder');
    return Object.fromEntries(root.tags.map((t) => [t.key, t.value]));
  };
  let tags = await tagsOfOrder();
  assert.equal(tags.order_id, 'A-9001');
  assert.equal(tags.user_id, '[redacted]');
  assert.equal(tags.email, '[redacted]');
  assert.ok(!('card.last4' in tags), 'card.last4 hidden');

  await ok(['roles', 'update', 'orders-only', '--redact', 'user_id']);
  tags = await tagsOfOrder();
  assert.equal(tags.email, 'jo@example.com');
  assert.equal(tags.user_id, '[redacted]');
  assert.equal(tags['card.last4'], '4242');

  const held = await ctl(['roles', 'delete', 'orders-only']);
  assert.equal(held.code, 1);
  await ok(['tokens', 'revoke', id]);
  await ok(['roles', 'delete', 'orders-only']);
  const gone = await ctl(['roles', 'show', 'orders-only']);
  assert.equal(gone.code, 1);
  const badAction = await ctl(['roles', 'create', 'bad', '--allow', 'traces:write']);
  assert.equal(badAction.code, 1);
  assert.match(badAction.stderr, /unknown action "traces:write"/);
});

test('the audit log shows refused calls, verifies, and exports JSON lines without secrets', async () => {
  const denied = JSON.parse((await ok(['-o', 'json', 'audit', 'list', '--denied'])).stdout);
  assert.ok(denied.every((r) => r.allowed === false));
  const refused = denied.find((r) => r.principal === 'sally' && r.api === 'admin_grpc ListUsers');
  assert.ok(refused, `sally's refused users list in ${JSON.stringify(denied.map((r) => r.api))}`);
  assert.equal(refused.action, 'admin:users');
  assert.match(refused.detail, /lack admin:users/);
  const failedLogin = denied.find((r) => r.action === 'login' && r.detail === 'invalid credentials');
  assert.ok(failedLogin, 'the failed admin login');
  assert.deepEqual(JSON.parse(failedLogin.params), { scheme: 'Basic', claimed: 'admin' });

  const table = await ok(['audit', 'list', '--user', 'sally', '--since', '1h']);
  assert.match(table.stdout, /^SEQ\s+TIME\s+PRINCIPAL/m);
  assert.match(table.stdout, /admin_grpc ListUsers\s+admin:users\s+DENIED/);

  const verified = await ok(['audit', 'verify']);
  assert.match(verified.stdout, /audit log intact: \d+ records/);
  // The head is an anchor to keep elsewhere; a later verify against it passes, a wrong one fails.
  const head = verified.stdout.match(/^head: (\d+:[0-9a-f]{64})/m)[1];
  const anchored = await ok(['audit', 'verify', '--anchor', head]);
  assert.match(anchored.stdout, /anchor matches/);
  const [seq, hash] = head.split(':');
  const forgedHash = (hash[0] === '0' ? '1' : '0') + hash.slice(1);
  const forged = await ctl(['audit', 'verify', '--anchor', `${seq}:${forgedHash}`]);
  assert.equal(forged.code, 1);
  assert.match(forged.stderr, /differs from its anchor/);
  const malformed = await ctl(['audit', 'verify', '--anchor', 'seven']);
  assert.equal(malformed.code, 1);
  assert.match(malformed.stderr, /--anchor seven: use SEQ:HASH/);

  const exported = await ok(['audit', 'export']);
  const lines = exported.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.ok(lines.length > 20, `${lines.length} records`);
  for (let i = 1; i < lines.length; i++) assert.equal(lines[i].seq, lines[i - 1].seq + 1);
  assert.ok(lines.some((r) => r.api === 'admin_grpc AddUser'
                              && JSON.parse(r.params).name === 'sally'));
  for (const secret of [SALLY_PASSWORD, 'a-new-password-1', server.adminPassword]) {
    assert.ok(!exported.stdout.includes(secret), 'no password in the audit log');
  }
});
