// Play URLs of a stream for every reader protocol the running plugins declare (getPluginList's `serves`,
// ABI 1.3), on the ports they listen on. HTTP and WebSocket forms (and HLS, which httpmux serves) use the
// address this page came from, so they work behind the same name or proxy; RTMP and RTSP use this host's
// name with their plugin's own port.

import { call } from './api.js';

export const DEFAULT_VHOST = '__defaultVhost__';

function pagePath(app, stream) { return encodeURI(app + '/' + stream); }

/// A stream as the console names it: `app/stream`, `vhost/app/stream` off the default vhost.
export function streamId(vhost, app, stream) {
  return (vhost && vhost !== DEFAULT_VHOST ? vhost + '/' : '') + app + '/' + stream;
}

/// How each reader protocol is reached; `own` readers listen on their plugin's port, the others on the page's.
/// `urls` gives URLs, or [label, URL] pairs when one reader has several forms.
const READERS = {
  'rtmp': { label: 'RTMP', own: true, urls: (b, p, q) => [`rtmp://${b.host}/${p}${q}`] },
  'rtsp': { label: 'RTSP', own: true, urls: (b, p, q) => [`rtsp://${b.host}/${p}${q}`] },
  'http-flv': { label: 'HTTP-FLV', urls: (b, p, q) => [`${b.http}/${p}.live.flv${q}`] },
  'ws-flv': { label: 'WS-FLV', urls: (b, p, q) => [`${b.ws}/${p}.live.flv${q}`] },
  'http-ts': { label: 'HTTP-TS', urls: (b, p, q) => [`${b.http}/${p}.live.ts${q}`] },
  'ws-ts': { label: 'WS-TS', urls: (b, p, q) => [`${b.ws}/${p}.live.ts${q}`] },
  'http-fmp4': { label: 'HTTP-fMP4', urls: (b, p, q) => [`${b.http}/${p}.live.mp4${q}`] },
  'ws-fmp4': { label: 'WS-fMP4', urls: (b, p, q) => [`${b.ws}/${p}.live.mp4${q}`] },
  'hls': { label: 'HLS', urls: (b, p, q) => [['HLS (TS)', `${b.http}/${p}/hls.m3u8${q}`], ['HLS (fMP4)', `${b.http}/${p}/hls.fmp4.m3u8${q}`]] },
  // The WebRTC plugin's readers (WHEP) once it lands: see player.js's `whep` entry.
  'webrtc': { label: 'WebRTC (WHEP)', urls: (b, p, q) => [whepUrl(b, p, q)] },
};

export function whepUrl(b, path, query) {
  const [app, ...rest] = decodeURI(path).split('/');
  const q = new URLSearchParams(query.replace(/^\?/, ''));
  q.set('app', app);
  q.set('stream', rest.join('/'));
  // ZLMediaKit's WHEP endpoint; a webrtc plugin that declares another (`serves.whep`) overrides it.
  return `${b.http}/${b.whep || 'index/api/whep'}?${q}`;
}

/// Where a browser publishes `app/stream` over WHIP: the webrtc plugin's declared `serves.whip` path, else
/// ZLMediaKit's endpoint, on the page's own origin (httpmux carries the signalling).
export function whipUrl(served, app, stream) {
  const webrtc = served.readers.get('webrtc');
  const path = (webrtc && webrtc.serves && webrtc.serves.whip) || 'index/api/whip';
  return `${location.protocol}//${location.host}/${path}?${new URLSearchParams({ app, stream })}`;
}

export class ServedProtocols {
  /// `plugins`: getPluginList's data.
  constructor(plugins) {
    this.plugins = plugins || [];
    this.readers = new Map();   // reader protocol -> plugin description
    this.schemas = new Set();
    for (const p of this.plugins) {
      if (p.state !== 'running' || !p.serves) continue;
      for (const s of p.serves.schemas || []) {
        this.schemas.add(s.name);
        for (const r of s.readers || []) if (!this.readers.has(r)) this.readers.set(r, p);
      }
    }
  }

  plugin(name) { return this.plugins.find(p => p.name === name); }

  port(plugin) {
    const l = plugin && plugin.listeners;
    return Array.isArray(l) && l.length ? l[0] : null;
  }

  /// The play URLs of one stream: [{protocol, label, url}], in the order plugins declare them.
  playUrls(vhost, app, stream) {
    const path = pagePath(app, stream);
    const query = vhost && vhost !== DEFAULT_VHOST ? '?vhost=' + encodeURIComponent(vhost) : '';
    const http = location.protocol + '//' + location.host;
    const ws = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host;
    const webrtc = this.readers.get('webrtc');
    const out = [];
    for (const [protocol, plugin] of this.readers) {
      const reader = READERS[protocol];
      if (!reader) { out.push({ protocol, label: protocol, url: '' }); continue; }
      const port = this.port(plugin);
      if (reader.own && !port) continue;
      const base = { host: location.hostname.includes(':') ? `[${location.hostname}]:${port}` : `${location.hostname}:${port}`,
                     http, ws, whep: webrtc && webrtc.serves && webrtc.serves.whep };
      for (const u of reader.urls(base, path, query)) {
        const [label, url] = Array.isArray(u) ? u : [reader.label, u];
        out.push({ protocol, label, url });
      }
    }
    return out;
  }

  /// A URL the server itself can pull for getSnap: its own RTMP or RTSP port on loopback, else HTTP-FLV.
  snapUrl(app, stream) {
    const path = pagePath(app, stream);
    for (const [protocol, scheme] of [['rtmp', 'rtmp'], ['rtsp', 'rtsp']]) {
      const port = this.port(this.readers.get(protocol));
      if (port) return `${scheme}://127.0.0.1:${port}/${path}`;
    }
    const http = this.port(this.readers.get('http-flv'));
    return http ? `http://127.0.0.1:${http}/${path}.live.flv` : null;
  }
}

let cached = null;

/// The running plugins' declarations, fetched at most every `maxAgeMs` (plugins change only on reloads).
export async function servedProtocols(maxAgeMs = 5000) {
  if (cached && performance.now() - cached.at < maxAgeMs) return cached.served;
  const answer = await call('getPluginList');
  cached = { at: performance.now(), served: new ServedProtocols(answer.data) };
  return cached.served;
}
