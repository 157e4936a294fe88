// Server page: plugins (enable/disable), config check and reload, load sparklines, proxies, recordings.
import { call } from './api.js';
import { $, el, setText, status, bytes, bitrate, confirmButton, Poller } from './dom.js';
import { Sparkline } from './charts.js';

const rows = new Map();    // plugin name -> { tr, cells, enabled }
let charts = null;
let ticks = 0;

function counters(stats) {
  return Object.entries(stats || {}).sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k} ${/bytes/.test(k) ? bytes(v) : v}`).join(' · ');
}

async function setEnabled(name, enabled) {
  const line = $('#plugins-status');
  status(line, `${enabled ? 'Enabling' : 'Disabling'} ${name}…`, false);
  try {
    await call('setPluginEnabled', { name, enabled: enabled ? 1 : 0 });
    status(line, `${name} ${enabled ? 'enabled' : 'disabled'} (saved to the config file and reloaded).`, false);
  } catch (e) {
    status(line, `${name}: ${e.serverMessage || e.message}`, true);
  }
  await pollPlugins();
}

function toggle(p) {
  if (!p.enabled) return el('button', { class: 'small toggle', type: 'button', onclick: () => setEnabled(p.name, true) }, 'Enable');
  // httpmux serves this page: disabling it closes the console's own port.
  const confirm = p.name === 'httpmux' ? 'Closes this page. Sure?' : 'Confirm disable';
  return confirmButton('Disable', confirm, () => setEnabled(p.name, false), { class: 'small secondary toggle' });
}

function updatePlugins(list) {
  const body = $('#plugins tbody');
  const names = new Set(list.map(p => p.name));
  for (const [name, row] of rows) if (!names.has(name)) { row.tr.remove(); rows.delete(name); }
  for (const p of list) {
    let row = rows.get(p.name);
    if (!row) {
      const cells = ['name', 'state', 'version', 'abi', 'ports', 'sessions', 'counters', 'action'].map(c => el('td', { class: c }));
      row = { tr: el('tr', { dataset: { plugin: p.name } }, cells), cells: Object.fromEntries(cells.map(c => [c.className, c])), enabled: null };
      rows.set(p.name, row);
    }
    body.append(row.tr);   // keeps the server's order
    const c = row.cells;
    setText(c.name, p.name);
    c.name.title = p.description || '';
    const state = p.state || '?';
    setText(c.state, state);
    c.state.className = 'state ' + (state === 'running' ? 'ok' : state === 'disabled' || state === 'not implemented' ? 'muted' : 'bad');
    if (p.status) c.state.title = p.status;
    setText(c.version, p.version || '–');
    setText(c.abi, p.abi || '–');
    setText(c.ports, (p.listeners || []).join(', ') || '–');
    setText(c.sessions, p.sessions ?? '–');
    setText(c.counters, counters(p.stats));
    c.counters.classList.add('counters');
    if (row.enabled !== p.enabled) { row.enabled = p.enabled; c.action.replaceChildren(toggle(p)); }
  }
  return list;
}

/// Rates over the last three seconds: plugins add their byte counters in batches, so one second's
/// difference jumps between 0 and twice the rate.
function traffic(list) {
  const sum = key => list.reduce((n, p) => n + ((p.stats && p.stats[key]) || 0), 0);
  const now = { at: performance.now(), in: sum('bytes_in'), out: sum('bytes_out') };
  // A plugin that stopped takes its counters with it: a drop starts the window again, never a negative rate.
  const last = traffic.window[traffic.window.length - 1];
  if (last && (now.in < last.in || now.out < last.out)) traffic.window = [];
  traffic.window.push(now);
  if (traffic.window.length > 4) traffic.window.shift();
  const first = traffic.window[0];
  if (first === now) return;
  const seconds = (now.at - first.at) / 1000;
  charts.in.push((now.in - first.in) * 8 / seconds);
  charts.out.push((now.out - first.out) * 8 / seconds);
}
traffic.window = [];

async function pollPlugins() {
  try {
    const list = updatePlugins((await call('getPluginList')).data || []);
    traffic(list);
  } catch (e) {
    status($('#plugins-status'), e.isAuth ? 'The API needs the secret.' : 'Cannot list plugins: ' + (e.message || e), true);
  }
}

async function pollLoad() {
  try {
    const loops = (await call('getThreadsLoad')).data || [];
    charts.lag.push(Math.max(0, ...loops.map(l => l.delay || 0)));
    const stats = (await call('getStatistic')).data || {};
    setText($('#load-summary'), `${loops.length} event loops · ${stats.MediaSource ?? '?'} streams · ${stats.Reader ?? '?'} readers · `
      + `${stats.TcpSession ?? '?'} sessions · ${stats.Command ?? '?'} commands`);
  } catch { /* shown by the plugin poll */ }
}

// --- configuration ---

function showConfig(text, isError) { status($('#config-result'), text, isError); }

async function checkConfig(text) {
  showConfig('Checking…', false);
  try {
    const answer = await call('checkConfig', text === undefined ? {} : { config: text });
    if (answer.valid) showConfig(text === undefined ? 'The config file is valid.' : 'This text is a valid config.', false);
    else showConfig('Invalid: ' + answer.error, true);
  } catch (e) {
    showConfig(e.serverMessage || e.message, true);
  }
}

async function reloadConfig() {
  showConfig('Reloading…', false);
  try {
    await call('reloadConfig');
    showConfig('Reloaded.', false);
    pollPlugins();
  } catch (e) {
    showConfig('Not reloaded, nothing changed: ' + (e.serverMessage || e.message), true);
  }
}

// --- proxies ---

function proxyRow(kind, p, del) {
  return el('tr', { dataset: { key: p.key } },
    el('td', {}, kind), el('td', { class: 'mono' }, p.key), el('td', { class: 'mono' }, p.url || p.dst_url || ''),
    el('td', { class: p.online ? 'ok' : 'bad' }, p.state || (p.online ? 'online' : 'offline')),
    el('td', {}, p.liveSecs !== undefined ? p.liveSecs + ' s' : '–'),
    el('td', {}, p.rePullCount ?? p.rePublishCount ?? '–'), el('td', {}, p.totalReaderCount ?? '–'),
    el('td', { class: 'bad' }, p.lastError || ''),
    el('td', {}, confirmButton('Delete', 'Confirm delete', () => del(p.key), { class: 'small secondary' })));
}

async function pollProxies() {
  const line = $('#proxies-status');
  try {
    const [pulls, pushes] = await Promise.all([call('listStreamProxy'), call('listStreamPusherProxy')]);
    const delPull = key => proxyAction('delStreamProxy', { key }, 'Deleted ' + key);
    const delPush = key => proxyAction('delStreamPusherProxy', { key }, 'Deleted ' + key);
    const list = [...(pulls.data || []).map(p => proxyRow('pull', p, delPull)), ...(pushes.data || []).map(p => proxyRow('push', p, delPush))];
    const body = $('#proxies tbody');
    // Rebuilt only when something changed, so an armed Delete button survives the poll.
    const key = JSON.stringify([pulls.data, pushes.data]);
    if (body.dataset.key !== key) { body.dataset.key = key; body.replaceChildren(...list); }
    if (!list.length) body.replaceChildren(el('tr', {}, el('td', { colspan: 9, class: 'muted' }, 'No proxy.')));
  } catch (e) {
    status(line, e.serverMessage || e.message, true);
  }
}

async function proxyAction(name, params, done) {
  const line = $('#proxies-status');
  status(line, '…', false);
  try {
    await call(name, params);
    status(line, done, false);
  } catch (e) {
    status(line, e.serverMessage || e.message, true);
  }
  pollProxies();
}

function formParams(form) { return Object.fromEntries(new FormData(form).entries()); }

// --- recordings ---

function vodLink(path) {
  const q = new URLSearchParams({ app: 'vod', stream: path, proto: 'fmp4' });
  return el('a', { href: '#player?' + q }, '▶ Play');
}

async function listRecordings(app, stream, period) {
  const line = $('#recordings-status'), list = $('#recordings');
  status(line, 'Listing…', false);
  try {
    const params = { app, stream };
    if (period) params.period = period;
    const answer = await call('getMP4RecordFile', params);
    const paths = (answer.data && answer.data.paths) || [];
    const items = paths.map(name => period
      // The VOD path under vod_root (record_root unless set): the default record_path's layout.
      ? el('li', {}, el('span', { class: 'mono' }, `${period}/${name}`), vodLink(`${app}/${stream}/${period}/${name}`))
      : el('li', {}, el('span', { class: 'mono' }, name),
        el('button', { class: 'small secondary', type: 'button', onclick: () => listRecordings(app, stream, name) }, 'Files')));
    if (period) items.unshift(el('li', {}, el('button', { class: 'small secondary', type: 'button', onclick: () => listRecordings(app, stream) }, '← Days')));
    list.replaceChildren(...items);
    status(line, paths.length ? `${answer.data.rootPath || ''}` : 'No recording of ' + app + '/' + stream + (period ? ' on ' + period : '') + '.', false);
  } catch (e) {
    list.replaceChildren();
    status(line, e.serverMessage || e.message, true);
  }
}

async function record(start) {
  const { app, stream } = formParams($('#record-form'));
  const line = $('#recordings-status');
  try {
    await call(start ? 'startRecord' : 'stopRecord', { type: 1, app, stream });
    status(line, `${start ? 'Recording' : 'Stopped recording'} ${app}/${stream}.`, false);
  } catch (e) {
    status(line, e.serverMessage || e.message, true);
  }
}

// --- wiring ---

$('#config-check').addEventListener('click', () => checkConfig());
$('#config-check-text').addEventListener('click', () => checkConfig($('#config-text').value));
$('#config-reload').addEventListener('click', reloadConfig);
$('#pull-form').addEventListener('submit', e => {
  e.preventDefault();
  const p = formParams(e.target);
  proxyAction('addStreamProxy', Object.assign({ vhost: '__defaultVhost__', retry_count: -1 }, p), `Pulling ${p.app}/${p.stream}.`);
});
$('#push-form').addEventListener('submit', e => {
  e.preventDefault();
  const p = formParams(e.target);
  proxyAction('addStreamPusherProxy', Object.assign({ vhost: '__defaultVhost__', retry_count: -1 }, p), `Pushing ${p.app}/${p.stream}.`);
});
$('#record-form').addEventListener('submit', e => {
  e.preventDefault();
  const p = formParams(e.target);
  listRecordings(p.app, p.stream);
});
$('#record-start').addEventListener('click', () => record(true));
$('#record-stop').addEventListener('click', () => record(false));

const poller = new Poller(1000, async () => {
  await Promise.all([pollPlugins(), pollLoad(), ticks++ % 3 === 0 ? pollProxies() : null]);
});

export const serverPage = {
  show() {
    if (!charts) {
      charts = {
        lag: new Sparkline($('#chart-lag'), $('#chart-lag-value'), v => v.toFixed(0) + ' ms'),
        in: new Sparkline($('#chart-in'), $('#chart-in-value'), bitrate),
        out: new Sparkline($('#chart-out'), $('#chart-out-value'), bitrate),
      };
    }
    poller.start();
  },
  hide() { poller.stop(); },
};
