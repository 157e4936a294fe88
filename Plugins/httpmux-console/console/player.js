// Player page: a stream played in the page over the protocols this browser and the running plugins allow,
// with how far behind live it plays, decoded and dropped frames, and the bytes received.
import { call } from './api.js';
import { $, el, setText, status, bitrate, bytes, Poller } from './dom.js';
import { MseSink, playFmp4, playHls } from './mse.js';
import { servedProtocols, streamId, DEFAULT_VHOST } from './urls.js';
import { negotiate, codecOf } from './webrtc.js';

/// Further behind live than this, the player speeds up a little; further than JUMP_S, it jumps.
const CATCH_UP_S = 1.5;
const JUMP_S = 5;

/// The ways this page plays a stream: offered when a running plugin declares the reader (or schema) and
/// the browser can do it; `start` resolves with a stop function.
/// WebRTC hook: the `whep` entry appears once a running plugin declares the `webrtc` schema; its URL is
/// the plugin's `serves.whep` path (ZLMediaKit's `index/api/whep` when it names none, see urls.js).
export const PLAYERS = [
  { id: 'fmp4', label: 'HTTP-fMP4 (MSE)', reader: 'http-fmp4', available: () => 'MediaSource' in window,
    start: ctx => startMse(ctx, playFmp4, ctx.url('http-fmp4', '.live.mp4')) },
  { id: 'hls-native', label: 'fMP4 HLS (native)', reader: 'hls', available: v => v.canPlayType('application/vnd.apple.mpegurl') !== '',
    start: ctx => startNative(ctx, ctx.url('hls', 'hls.fmp4.m3u8')) },
  { id: 'hls', label: 'fMP4 HLS (MSE)', reader: 'hls', available: () => 'MediaSource' in window,
    start: ctx => startMse(ctx, playHls, ctx.url('hls', 'hls.fmp4.m3u8')) },
  { id: 'whep', label: 'WebRTC (WHEP)', schema: 'webrtc', available: () => 'RTCPeerConnection' in window,
    start: ctx => startWhep(ctx, ctx.url('webrtc', '')) },
];

let session = null;     // { id, player, stop, sink, counters, url, lastBytes, lastAt, rate }
let served = null;

async function startMse(ctx, load, url) {
  const sink = new MseSink(ctx.video, ctx.fail);
  ctx.session.sink = sink;
  const abort = new AbortController();
  load(url, sink, abort.signal, ctx.session.counters).catch(e => { if (!abort.signal.aborted) ctx.fail(e); });
  return () => { abort.abort(); sink.close(); };
}

async function startNative(ctx, url) {
  const v = ctx.video;
  // Live playlists start where the server's window starts; begin at the newest data instead.
  v.addEventListener('loadedmetadata', () => {
    if (v.seekable.length) v.currentTime = Math.max(v.seekable.start(0), v.seekable.end(v.seekable.length - 1) - 1);
  }, { once: true });
  v.src = url;
  v.play().catch(() => {});
  return () => { v.removeAttribute('src'); v.load(); };
}

async function startWhep(ctx, url) {
  const pc = new RTCPeerConnection();
  pc.addTransceiver('video', { direction: 'recvonly' });
  pc.addTransceiver('audio', { direction: 'recvonly' });
  const media = new MediaStream();
  pc.ontrack = e => { media.addTrack(e.track); ctx.video.srcObject = media; };
  ctx.session.pc = pc;
  const close = await negotiate(pc, url, 'WHEP');
  return () => { close(); ctx.video.srcObject = null; };
}

function target(params) {
  const app = params.get('app'), stream = params.get('stream');
  if (!app || !stream) return null;
  return { vhost: params.get('vhost') || DEFAULT_VHOST, app, stream };
}

/// The form's `app/stream` text: the app is the first part, the stream the rest (VOD paths have slashes).
function parseInput(text) {
  const t = text.trim().replace(/^\/+/, '');
  const i = t.indexOf('/');
  return i > 0 && i < t.length - 1 ? { app: t.slice(0, i), stream: t.slice(i + 1) } : null;
}

function offeredPlayers() {
  const video = $('#player-video');
  return PLAYERS.filter(p => p.available(video) && served
    && (p.reader ? served.readers.has(p.reader) : served.schemas.has(p.schema)));
}

function fillProtocols(wanted) {
  const select = $('#player-protocol');
  const offered = offeredPlayers();
  const key = offered.map(p => p.id).join();
  if (select.dataset.key !== key) {
    select.dataset.key = key;
    select.replaceChildren(...offered.map(p => el('option', { value: p.id }, p.label)));
  }
  if (wanted && offered.some(p => p.id === wanted)) select.value = wanted;
}

async function fillStreams() {
  try {
    const answer = await call('getMediaList', { schema: 'fmp4' });
    const ids = [...new Set((answer.data || []).map(i => streamId(i.vhost, i.app, i.stream)))];
    $('#player-streams').replaceChildren(...ids.map(id => el('option', { value: id })));
  } catch { /* the stream box still takes typed names */ }
}

function stop() {
  if (!session) return;
  const s = session;
  session = null;
  try { s.stop && s.stop(); } catch { /* already stopped */ }
  const v = $('#player-video');
  v.playbackRate = 1;
  v.removeAttribute('src');
  v.load();
}

async function play(t, playerId) {
  stop();
  const player = PLAYERS.find(p => p.id === playerId);
  if (!player) return status($('#player-status'), 'No way to play here: no running plugin serves a protocol this browser plays.', true);
  const video = $('#player-video');
  const s = { id: streamId(t.vhost, t.app, t.stream), player, counters: { bytes: 0 }, lastBytes: 0, lastAt: performance.now(),
              rate: NaN, jumps: 0, startedAt: performance.now(), sink: null };
  session = s;
  const urls = served.playUrls(t.vhost, t.app, t.stream);
  const ctx = {
    video, session: s,
    url: (reader, suffix) => {
      const found = urls.filter(u => u.protocol === reader).map(u => u.url);
      return found.find(u => !suffix || u.includes(suffix)) || found[0];
    },
    fail: e => { if (session === s) status($('#player-status'), `${player.label}: ${e.message || e}`, true); },
  };
  status($('#player-status'), `Playing ${s.id} over ${player.label}…`, false);
  try {
    const stopper = await player.start(ctx);
    if (session === s) s.stop = stopper; else stopper();
  } catch (e) {
    ctx.fail(e);
  }
}

/// Keeps the playhead near live (the MSE players; native HLS keeps its own distance) and shows the numbers.
function tick() {
  const v = $('#player-video');
  const s = session;
  const rows = [];
  if (s) {
    const now = performance.now();
    if (s.pc && now - (s.statsAt || 0) >= 1000) {
      // WebRTC: the codecs and bytes come from the peer connection, not from a fetch the page counts.
      s.statsAt = now;
      s.pc.getStats().then(r => {
        s.codecs = [codecOf(r, 'video', 'inbound-rtp'), codecOf(r, 'audio', 'inbound-rtp')].filter(Boolean).join(', ');
        s.counters.bytes = [...r.values()].filter(x => x.type === 'inbound-rtp').reduce((n, x) => n + (x.bytesReceived || 0), 0);
        // Behind live, as far as the receiver knows: what its jitter buffer holds on average.
        const v = [...r.values()].find(x => x.type === 'inbound-rtp' && x.kind === 'video');
        s.jitterBuffer = v && v.jitterBufferEmittedCount ? v.jitterBufferDelay / v.jitterBufferEmittedCount : NaN;
      }).catch(() => {});
    }
    if (now - s.lastAt >= 1000) {
      s.rate = (s.counters.bytes - s.lastBytes) * 8000 / (now - s.lastAt);
      s.lastBytes = s.counters.bytes;
      s.lastAt = now;
    }
    // Native players: the live edge is the end of what is seekable, or at least of what is buffered.
    const edge = r => r.length ? r.end(r.length - 1) - v.currentTime : NaN;
    const behind = s.sink ? s.sink.behindLive : s.pc ? s.jitterBuffer : v.seekable.length ? edge(v.seekable) : edge(v.buffered);
    if (s.sink && !v.paused && behind > 0) {
      if (behind > JUMP_S) { v.currentTime = v.buffered.end(v.buffered.length - 1) - 0.5; s.jumps++; }
      v.playbackRate = behind > CATCH_UP_S ? 1.1 : 1;
    }
    const q = v.getVideoPlaybackQuality ? v.getVideoPlaybackQuality() : {};
    rows.push(['Stream', s.id], ['Protocol', s.player.label],
      ['State', v.error ? 'error' : v.paused ? (v.readyState ? 'paused' : 'loading') : v.readyState < 3 ? 'buffering' : 'playing'],
      ['Codecs', s.sink ? s.sink.codecs || '…' : s.codecs || '—'],
      ['Resolution', v.videoWidth ? `${v.videoWidth}×${v.videoHeight}` : '—'],
      ['Behind live', isFinite(behind) ? behind.toFixed(2) + ' s' : '—'],
      ['Decoded frames', q.totalVideoFrames ?? '—'],
      ['Dropped frames', q.droppedVideoFrames ?? '—'],
      ['Received', s.counters.bytes ? `${bytes(s.counters.bytes)} · ${bitrate(s.rate)}` : '—'],
      ['Catch-up jumps', s.jumps]);
    if (s.counters.segments !== undefined) rows.push(['HLS segments', s.counters.segments]);
    if (s.counters.ended) rows.push(['Stream', 'ended']);
  }
  const dl = $('#player-stats');
  if (dl.children.length !== rows.length * 2) {
    dl.replaceChildren(...rows.flatMap(([k]) => [el('dt', {}, k), el('dd', { dataset: { stat: k } })]));
  }
  rows.forEach(([, value], i) => setText(dl.children[i * 2 + 1], value));
}

const ticker = new Poller(250, tick);
const lister = new Poller(5000, fillStreams);

$('#player-form').addEventListener('submit', e => {
  e.preventDefault();
  const t = parseInput($('#player-stream').value);
  if (!t) return status($('#player-status'), 'Name the stream as app/stream.', true);
  const q = new URLSearchParams({ app: t.app, stream: t.stream, proto: $('#player-protocol').value });
  const current = new URLSearchParams(location.hash.split('?')[1] || '');
  if (current.get('vhost')) q.set('vhost', current.get('vhost'));
  const hash = '#player?' + q;
  // The same hash fires no hashchange: start it directly (a replay).
  if (location.hash === hash) playerPage.show(q, true); else location.hash = hash;
});
$('#player-stop').addEventListener('click', () => { stop(); status($('#player-status'), 'Stopped.', false); });
$('#player-video').addEventListener('playing', () => {
  if (session) status($('#player-status'), `Playing ${session.id} over ${session.player.label}.`, false);
});
$('#player-video').addEventListener('error', () => {
  const v = $('#player-video');
  if (session && v.error) status($('#player-status'), `The browser could not play it: ${v.error.message || 'code ' + v.error.code}`, true);
});

export const playerPage = {
  async show(params, replay) {
    ticker.start();
    lister.start();
    try {
      served = await servedProtocols();
    } catch (e) {
      return status($('#player-status'), e.isAuth ? 'The API needs the secret.' : String(e.message || e), true);
    }
    fillProtocols(params.get('proto'));
    const t = target(params);
    if (!t) return;
    $('#player-stream').value = t.app + '/' + t.stream;
    const id = streamId(t.vhost, t.app, t.stream), proto = $('#player-protocol').value;
    if (replay || !session || session.id !== id || session.player.id !== proto) play(t, proto);
  },
  hide() { stop(); ticker.stop(); lister.stop(); },
};
