// Streams page: getMediaList polled every second, one card per stream (its items come once per schema),
// updated in place so copy buttons and thumbnails survive the polls.
import { call, snapshot } from './api.js';
import { $, el, setText, bitrate, duration, copyButton, confirmButton, status, Poller } from './dom.js';
import { servedProtocols, streamId, DEFAULT_VHOST } from './urls.js';

const POLL_MS = 1000;
const SNAP_REFRESH_MS = 30000;

const cards = new Map();     // stream id -> { node, fields, lastBytes, lastAt, urls }
let served = null;

/// getMediaList's items grouped by stream: the schema items of one stream share origin, tracks and bytes.
export function groupStreams(items) {
  const out = new Map();
  for (const item of items) {
    const id = streamId(item.vhost, item.app, item.stream);
    let s = out.get(id);
    if (!s) {
      s = { id, vhost: item.vhost, app: item.app, stream: item.stream, first: item, schemas: [] };
      out.set(id, s);
    }
    s.schemas.push({ schema: item.schema, readers: item.readerCount });
  }
  return out;
}

function trackText(t) {
  const codec = (t.codec_id_name || '').replace(/^Codec/, '') || '?';
  if (t.codec_type === 0) return `${codec} ${t.width || '?'}×${t.height || '?'}`;
  return `${codec} ${t.sample_rate ? t.sample_rate + ' Hz' : ''}${t.channels ? ' ' + t.channels + ' ch' : ''}`.trim();
}

function playLink(s) {
  const q = new URLSearchParams({ app: s.app, stream: s.stream });
  if (s.vhost && s.vhost !== DEFAULT_VHOST) q.set('vhost', s.vhost);
  return '#player?' + q;
}

function makeCard(s) {
  const fields = {};
  const fact = (name, label) => [el('dt', {}, label), fields[name] = el('dd')];
  const thumb = el('img', { class: 'thumb', alt: '', title: 'snapshot of ' + s.id });
  const urls = el('tbody');
  const node = el('article', { class: 'card', dataset: { stream: s.id } },
    el('header', {},
      el('span', { class: 'name' }, s.id),
      el('span', { class: 'actions' },
        el('a', { href: playLink(s), class: 'play' }, '▶ Play'),
        confirmButton('Close', 'Close stream?', () => closeStream(s), { class: 'small secondary' }))),
    el('div', { class: 'body' },
      thumb,
      el('dl', { class: 'facts' },
        fact('origin', 'Origin'), fact('tracks', 'Tracks'), fact('bitrate', 'Bitrate'),
        fact('uptime', 'Uptime'), fact('readers', 'Readers'))),
    el('details', { class: 'urls' }, el('summary', {}, 'Play URLs'), el('table', {}, urls)));
  const card = { node, fields, thumb, urls, urlKey: '', lastBytes: null, lastAt: 0, snapAt: -Infinity, snapUrl: null, visible: false };
  observer.observe(thumb);
  thumb.card = card;
  return card;
}

async function closeStream(s) {
  try {
    await call('close_stream', { vhost: s.vhost, app: s.app, stream: s.stream, force: 1 });
  } catch (e) {
    status($('#streams-status'), String(e.message || e), true);
  }
}

function updateCard(card, s, now) {
  const f = s.first;
  const sock = f.originSock || {};
  // A pull's peer is the URL it pulls: shown alone; a publisher's is its address beside the stream URL.
  const origin = (sock.peer_ip || '').includes('://') ? sock.peer_ip
    : `${f.originUrl || ''}${sock.peer_ip ? ` (${sock.peer_ip}:${sock.peer_port})` : ''}`;
  setText(card.fields.origin, `${f.originTypeStr || '?'} · ${origin}`);
  setText(card.fields.tracks, (f.tracks || []).map(trackText).join(' · ') || 'none yet');
  if (card.lastBytes !== null && now > card.lastAt && f.totalBytes >= card.lastBytes) {
    setText(card.fields.bitrate, bitrate((f.totalBytes - card.lastBytes) * 8000 / (now - card.lastAt)));
  }
  card.lastBytes = f.totalBytes;
  card.lastAt = now;
  setText(card.fields.uptime, duration(f.aliveSecond));
  const readers = s.schemas.map(x => `${x.schema} ${x.readers}`).join(' · ');
  setText(card.fields.readers, `${f.totalReaderCount} total — ${readers}`);
  updateUrls(card, s);
}

function updateUrls(card, s) {
  const list = served ? served.playUrls(s.vhost, s.app, s.stream) : [];
  const key = list.map(u => u.url).join('\n');
  if (key === card.urlKey) return;
  card.urlKey = key;
  card.urls.replaceChildren(...list.map(u => el('tr', { dataset: { protocol: u.protocol } },
    el('td', {}, u.label), el('td', {}, u.url ? el('code', {}, u.url) : el('span', { class: 'muted' }, 'no URL known')),
    el('td', {}, u.url ? copyButton(u.url) : ''))));
}

// --- snapshots: one getSnap at a time, only for cards on screen, each kept for SNAP_REFRESH_MS ---

const observer = new IntersectionObserver(entries => {
  for (const e of entries) e.target.card.visible = e.isIntersecting;
});
let snapping = false;

async function nextSnapshot() {
  if (snapping || !served) return;
  const now = performance.now();
  const due = [...cards.entries()].find(([, c]) => c.visible && now - c.snapAt > SNAP_REFRESH_MS);
  if (!due) return;
  const [id, card] = due;
  card.snapAt = now;
  const url = served.snapUrl(card.app, card.stream);
  if (!url) return;
  snapping = true;
  try {
    const blob = await snapshot(url);
    if (card.snapUrl) URL.revokeObjectURL(card.snapUrl);
    card.snapUrl = URL.createObjectURL(blob);
    if (cards.get(id) === card) card.thumb.src = card.snapUrl;
  } catch {
    card.thumb.title = 'no snapshot';
  } finally {
    snapping = false;
  }
}

async function poll() {
  try {
    served = await servedProtocols();
    const answer = await call('getMediaList');
    const streams = groupStreams(answer.data || []);
    const now = performance.now();
    for (const [id, card] of cards) {
      if (streams.has(id)) continue;
      observer.unobserve(card.thumb);
      if (card.snapUrl) URL.revokeObjectURL(card.snapUrl);
      card.node.remove();
      cards.delete(id);
    }
    const list = $('#stream-list');
    for (const [id, s] of streams) {
      let card = cards.get(id);
      if (!card) {
        card = makeCard(s);
        Object.assign(card, { app: s.app, stream: s.stream });
        cards.set(id, card);
        list.append(card.node);
      }
      updateCard(card, s, now);
    }
    const readers = [...streams.values()].reduce((n, s) => n + (s.first.totalReaderCount || 0), 0);
    setText($('#streams-summary'), `${streams.size} stream${streams.size === 1 ? '' : 's'} · ${readers} reader${readers === 1 ? '' : 's'}`);
    $('#streams-empty').hidden = streams.size > 0;
    status($('#streams-status'), '', false);
    nextSnapshot();
  } catch (e) {
    status($('#streams-status'), e.isAuth ? 'The API needs the secret.' : 'Cannot list streams: ' + (e.message || e), true);
  }
}

const poller = new Poller(POLL_MS, poll);

export const streamsPage = {
  show() {
    for (const n of document.querySelectorAll('.hostname')) n.textContent = location.hostname;
    poller.start();
  },
  hide() { poller.stop(); },
};
