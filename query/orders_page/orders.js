'use strict';
// The orders page (docs/orders.md, "The orders page"). It reads only /api/flows and
// /api/orders*, so what it shows is what QueryService lets the signed-in caller see. Span data
// is hostile: everything is written with textContent and DOM APIs, never parsed as markup, and link
// targets are built from validated ids, never taken from the data.

(function () {
  const $ = (id) => document.getElementById(id);
  const TRACE_ID = /^[0-9a-f]{32}$/;

  function el(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }

  function row(cells) {
    const tr = document.createElement('tr');
    for (const cell of cells) {
      const td = cell instanceof Node ? cell : el('td', cell);
      tr.appendChild(td.tagName === 'TD' ? td : wrap(td));
    }
    return tr;
  }

  function wrap(node) {
    const td = document.createElement('td');
    td.appendChild(node);
    return td;
  }

  // A Jaeger UI link for a trace id, or a dash when the id is not a trace id.
  function traceLink(traceID, text) {
    if (typeof traceID !== 'string' || !TRACE_ID.test(traceID)) return el('span', '–');
    const a = el('a', text || traceID);
    a.href = `/trace/${traceID}`;
    a.className = 'trace-link';
    a.title = `Open trace ${traceID} in the Jaeger UI`;
    return a;
  }

  function orderHref(flow, key) {
    return `/orders?${new URLSearchParams({ flow, key })}`;
  }

  // 1234.5 -> "1.23 s", 312004 -> "5m12s", 36 -> "36 ms".
  function duration(ms) {
    if (typeof ms !== 'number' || !Number.isFinite(ms)) return '–';
    if (Math.abs(ms) < 1) return `${Math.round(ms * 1000)} µs`;
    if (Math.abs(ms) < 1000) return `${+ms.toFixed(2)} ms`;
    if (Math.abs(ms) < 60000) return `${+(ms / 1000).toFixed(2)} s`;
    const total = Math.round(Math.abs(ms) / 1000);
    const h = Math.floor(total / 3600);
    const m = Math.floor((total % 3600) / 60);
    const s = total % 60;
    return `${ms < 0 ? '-' : ''}${h ? `${h}h` : ''}${m}m${s}s`;
  }

  function time(iso) {
    const t = Date.parse(iso);
    return Number.isNaN(t) ? '–' : new Date(t).toISOString().replace('T', ' ').replace('Z', ' UTC');
  }

  // The API's answer as data, or an Error whose message a person can act on.
  async function getApi(url, notFound) {
    let res;
    try {
      res = await fetch(url, { headers: { Accept: 'application/json' }, credentials: 'same-origin' });
    } catch (e) {
      throw new Error(`spanvault cannot be reached: ${e.message}`);
    }
    let body = null;
    try {
      body = await res.json();
    } catch (e) {
      body = null;
    }
    if (res.ok && body) return body;
    const msg = body && Array.isArray(body.errors) && body.errors[0] && body.errors[0].msg;
    if (res.status === 401) throw new Error('You are not signed in: reload the page to sign in.');
    if (res.status === 403) throw new Error(`Your role may not read orders (${msg || 'forbidden'}).`);
    if (res.status === 404 && notFound) throw new Error(notFound);
    if (res.status === 503) throw new Error('The orders cannot be read right now; try again shortly.');
    throw new Error(msg ? `${msg}` : `spanvault answered HTTP ${res.status}.`);
  }

  function show(id, text, info) {
    const node = $(id);
    node.textContent = text || '';
    node.hidden = !text;
    node.classList.toggle('info', Boolean(info));
  }

  function verdictSummary(v) {
    switch (v.status) {
      case 'completed': return `reached the final step ${v.step}`;
      case 'failed': return `at step ${v.step}`;
      case 'stuck': return `waiting for ${v.step} after ${v.after} for ${duration(v.waitingMs)}`;
      case 'in_progress': return v.step ? `next expected step: ${v.step}` : 'no step reached yet';
      default: return '';
    }
  }

  function stepState(step) {
    if (step.hidden) return ['hidden', 'hidden (outside your scope)'];
    return step.reached ? ['reached', 'reached'] : ['not_reached', 'not reached'];
  }

  function stepRow(step, verdict) {
    const [state, label] = stepState(step);
    const shown = step.reached && !step.hidden;
    const status = !shown ? '' : step.status === 'error' ? `error: ${step.error || ''}` : 'ok';
    const statusCell = el('td', status, step.status === 'error' ? 'error' : '');
    const tr = row([
      el('td', step.name, 'step-name'), el('td', label, 'state'),
      shown ? step.service : '', shown ? step.operation : '', shown ? time(step.start) : '',
      el('td', shown ? duration(step.durationMs) : '', 'num'),
      el('td', shown && step.gapMs !== null ? duration(step.gapMs) : '', 'num gap'),
      statusCell, shown ? traceLink(step.traceID, 'open trace') : el('span', ''),
    ]);
    tr.dataset.step = step.name;
    tr.dataset.state = state;
    if (status.startsWith('error')) tr.classList.add('error');
    if (verdict.status === 'stuck' && verdict.step === step.name) tr.classList.add('waiting');
    return tr;
  }

  function traceItem(trace) {
    const li = el('li');
    li.appendChild(traceLink(trace.traceID));
    const kept = trace.kept ? 'kept' : trace.pending ? 'pending sampling decision'
      : 'not kept by sampling (the Jaeger UI will not find it)';
    li.appendChild(el('span', ` ${kept}`, trace.kept ? 'kept' : 'not-kept'));
    return li;
  }

  function renderJourney(j) {
    $('journey-key').textContent = j.key;
    $('journey-flow').textContent = `flow ${j.flow}`;
    const badge = $('verdict-status');
    badge.textContent = j.verdict.status.replace('_', ' ');
    badge.className = `badge ${j.verdict.status}`;
    $('verdict').dataset.status = j.verdict.status;
    $('verdict-summary').textContent = verdictSummary(j.verdict);
    $('verdict-message').textContent = j.verdict.message || '';
    $('first-seen').textContent = time(j.firstSeen);
    $('updated').textContent = time(j.updated);
    $('steps').tBodies[0].replaceChildren(...j.steps.map((s) => stepRow(s, j.verdict)));
    const traces = j.traces.map(traceItem);
    $('traces').replaceChildren(...(traces.length ? traces : [el('li', 'none you may see', 'empty')]));
    $('journey').hidden = false;
  }

  async function lookUp(flow, key) {
    show('message', '');
    $('journey').hidden = true;
    if (!flow || !key) return;
    const url = `/api/orders/${encodeURIComponent(key)}?${new URLSearchParams({ flow })}`;
    try {
      const body = await getApi(url, `No order "${key}" in flow ${flow} (or none you may see).`);
      renderJourney(body.data);
    } catch (e) {
      show('message', e.message);
    }
  }

  function listRow(flow, j) {
    const a = el('a', j.key);
    a.href = orderHref(flow, j.key);
    a.addEventListener('click', (ev) => {
      if (ev.button !== 0 || ev.ctrlKey || ev.metaKey || ev.shiftKey) return;
      ev.preventDefault();
      navigate(flow, j.key);
    });
    const tr = row([a, j.verdict.step || '', j.verdict.message || '', time(j.updated)]);
    tr.dataset.key = j.key;
    return tr;
  }

  async function loadList(flow, status, params) {
    const table = $(status);
    const query = new URLSearchParams({ flow, status, ...params });
    const body = await getApi(`/api/orders?${query}`);
    const rows = body.data.map((j) => listRow(flow, j));
    if (!rows.length) {
      const td = el('td', `no ${status} orders`, 'empty');
      td.colSpan = 4;
      rows.push(row([td]));
    }
    table.tBodies[0].replaceChildren(...rows);
    $(`${status}-count`).textContent = `(${body.data.length})`;
  }

  async function loadLists() {
    const flow = $('flow').value;
    show('list-message', '');
    if (!flow) return;
    const params = {};
    const since = $('since').value.trim();
    const limit = $('limit').value.trim();
    if (since) params.since = since;
    if (limit) params.limit = limit;
    try {
      await Promise.all([loadList(flow, 'stuck', params), loadList(flow, 'failed', params)]);
    } catch (e) {
      show('list-message', e.message);
    }
  }

  async function loadFlows(wanted) {
    const body = await getApi('/api/flows');
    const select = $('flow');
    select.replaceChildren(...body.data.map((name) => {
      const option = el('option', name);
      option.value = name;
      return option;
    }));
    if (!body.data.length) {
      show('message', 'This spanvault has no flows configured (the flows section of its config).', true);
      return false;
    }
    if (wanted && body.data.includes(wanted)) select.value = wanted;
    return true;
  }

  function fromUrl() {
    const params = new URLSearchParams(window.location.search);
    return { flow: params.get('flow') || '', key: params.get('key') || '' };
  }

  // Shows `key` and records it in the address, so the page can be shared and Back works.
  function navigate(flow, key) {
    history.pushState(null, '', orderHref(flow, key));
    $('key').value = key;
    lookUp(flow, key);
  }

  async function start() {
    const { flow, key } = fromUrl();
    try {
      if (!(await loadFlows(flow))) return;
    } catch (e) {
      show('message', e.message);
      return;
    }
    if (flow && $('flow').value !== flow) show('message', `Unknown flow "${flow}".`);
    $('key').value = key;
    $('lookup').addEventListener('submit', (ev) => {
      ev.preventDefault();
      navigate($('flow').value, $('key').value.trim());
    });
    $('list-controls').addEventListener('submit', (ev) => {
      ev.preventDefault();
      loadLists();
    });
    $('flow').addEventListener('change', loadLists);
    window.addEventListener('popstate', () => {
      const at = fromUrl();
      if (at.flow) $('flow').value = at.flow;
      $('key').value = at.key;
      lookUp($('flow').value, at.key);
    });
    if (key && (!flow || $('flow').value === flow)) await lookUp($('flow').value, key);
    await loadLists();
    document.body.dataset.ready = 'true';
  }

  document.addEventListener('DOMContentLoaded', start);
})();
