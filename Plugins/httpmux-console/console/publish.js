// Publish page: the browser's camera and microphone sent to `app/stream` over WHIP, once a running plugin
// declares the `webrtc` schema. The stream is then an ordinary live stream: every protocol plays it.
import { $, el, setText, status, bitrate, Poller } from './dom.js';
import { servedProtocols, whipUrl } from './urls.js';
import { negotiate, codecOf } from './webrtc.js';

let session = null;   // { app, stream, pc, close, media, lastBytes, lastAt, rate, codecs, sent, frames, nacks }

function parseInput(text) {
  const t = text.trim().replace(/^\/+/, '');
  const i = t.indexOf('/');
  return i > 0 && i < t.length - 1 ? { app: t.slice(0, i), stream: t.slice(i + 1) } : null;
}

function stop(message) {
  const s = session;
  session = null;
  if (s) {
    try { s.close && s.close(); } catch { /* already closed */ }
    if (s.media) s.media.getTracks().forEach(t => t.stop());
  }
  $('#publish-preview').srcObject = null;
  $('#publish-start').disabled = false;
  $('#publish-stop').disabled = true;
  $('#publish-play').hidden = true;
  if (message) status($('#publish-status'), message, false);
}

async function start(target, video, audio) {
  stop();
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    return status($('#publish-status'), 'This page needs a secure origin (https or localhost) for the camera.', true);
  }
  const served = await servedProtocols();
  if (!served.schemas.has('webrtc')) return status($('#publish-status'), 'No running plugin accepts WebRTC publishers.', true);
  const s = { ...target, lastBytes: 0, lastAt: performance.now(), rate: NaN, codecs: '', sent: 0, frames: 0, nacks: 0 };
  session = s;
  $('#publish-start').disabled = true;
  $('#publish-stop').disabled = false;
  status($('#publish-status'), 'Asking for the camera…', false);
  try {
    s.media = await navigator.mediaDevices.getUserMedia({ video, audio });
    if (session !== s) return s.media.getTracks().forEach(t => t.stop());
    $('#publish-preview').srcObject = s.media;
    const pc = new RTCPeerConnection();
    s.pc = pc;
    for (const track of s.media.getTracks()) pc.addTransceiver(track, { direction: 'sendonly' });
    pc.addEventListener('connectionstatechange', () => {
      if (session !== s) return;
      if (pc.connectionState === 'connected') status($('#publish-status'), `Publishing ${s.app}/${s.stream}.`, false);
      if (pc.connectionState === 'failed') status($('#publish-status'), 'The connection to the server failed.', true);
    });
    status($('#publish-status'), `Offering to ${s.app}/${s.stream}…`, false);
    const close = await negotiate(pc, whipUrl(served, s.app, s.stream), 'WHIP');
    if (session !== s) return close();
    s.close = close;
    const play = $('#publish-play');
    play.href = '#player?' + new URLSearchParams({ app: s.app, stream: s.stream });
    play.hidden = false;
  } catch (e) {
    if (session === s) {
      stop();
      status($('#publish-status'), String(e.message || e), true);
    }
  }
}

/// Numbers from the sender's side: what was encoded and sent, and what the server asked to resend.
async function tick() {
  const s = session;
  const rows = [];
  if (s && s.pc) {
    const r = await s.pc.getStats().catch(() => null);
    if (r && session === s) {
      const out = [...r.values()].filter(x => x.type === 'outbound-rtp');
      s.codecs = [codecOf(r, 'video', 'outbound-rtp'), codecOf(r, 'audio', 'outbound-rtp')].filter(Boolean).join(', ');
      s.sent = out.reduce((n, x) => n + (x.bytesSent || 0), 0);
      const v = out.find(x => x.kind === 'video') || {};
      s.frames = v.framesEncoded || 0;
      s.nacks = out.reduce((n, x) => n + (x.nackCount || 0), 0);
      s.size = v.frameWidth ? `${v.frameWidth}×${v.frameHeight}` : '—';
      const now = performance.now();
      if (now - s.lastAt >= 900) {
        s.rate = (s.sent - s.lastBytes) * 8000 / (now - s.lastAt);
        s.lastBytes = s.sent;
        s.lastAt = now;
      }
    }
    rows.push(['Stream', `${s.app}/${s.stream}`], ['Connection', s.pc.connectionState], ['Codecs', s.codecs || '…'],
      ['Resolution', s.size || '—'], ['Encoded frames', s.frames], ['Sent', bitrate(s.rate)], ['NACKs from the server', s.nacks]);
  }
  const dl = $('#publish-stats');
  if (dl.children.length !== rows.length * 2) {
    dl.replaceChildren(...rows.flatMap(([k]) => [el('dt', {}, k), el('dd', { dataset: { stat: k } })]));
  }
  rows.forEach(([, value], i) => setText(dl.children[i * 2 + 1], String(value)));
}

const ticker = new Poller(1000, tick);

$('#publish-form').addEventListener('submit', e => {
  e.preventDefault();
  const t = parseInput($('#publish-stream').value);
  if (!t) return status($('#publish-status'), 'Name the stream as app/stream.', true);
  const video = $('#publish-video').checked, audio = $('#publish-audio').checked;
  if (!video && !audio) return status($('#publish-status'), 'Send the camera, the microphone or both.', true);
  start(t, video, audio);
});
$('#publish-stop').addEventListener('click', () => stop('Stopped.'));

export const publishPage = {
  show(params) {
    ticker.start();
    const t = params.get('app') && params.get('stream') ? { app: params.get('app'), stream: params.get('stream') } : null;
    if (t) $('#publish-stream').value = t.app + '/' + t.stream;
    // `#publish?app=&stream=&start=1` starts at once (a bookmark, or a test with a fake camera).
    if (t && params.get('start') === '1' && !session) start(t, params.get('video') !== '0', params.get('audio') !== '0');
  },
  // Leaving the page does not end the publish: it goes on until Stop (the preview just stops showing).
  hide() { ticker.stop(); },
};
