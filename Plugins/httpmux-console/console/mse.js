// Media Source Extensions without a library: the fMP4 init segment's codec string (a bounded ISO BMFF
// walk), one SourceBuffer fed in order and trimmed behind the playhead, the HTTP-fMP4 live response cut
// into top-level boxes, and an fMP4 HLS loader (media playlist, EXT-X-MAP, segments in order, reloads).

const u32 = (b, o) => ((b[o] << 24) >>> 0) + (b[o + 1] << 16) + (b[o + 2] << 8) + b[o + 3];
const fourcc = (b, o) => String.fromCharCode(b[o], b[o + 1], b[o + 2], b[o + 3]);
const hex2 = n => n.toString(16).padStart(2, '0');

/// The boxes between `start` and `end`; a size that leaves the parent is an error, not a read past it.
function* boxes(b, start, end) {
  let o = start;
  while (o + 8 <= end) {
    let size = u32(b, o), header = 8;
    if (size === 1) {
      if (o + 16 > end) throw new Error('truncated 64-bit box size');
      size = u32(b, o + 8) * 4294967296 + u32(b, o + 12);
      header = 16;
    } else if (size === 0) size = end - o;
    if (size < header || o + size > end) throw new Error(`bad ${fourcc(b, o + 4)} box size ${size}`);
    yield { type: fourcc(b, o + 4), body: o + header, end: o + size };
    o += size;
  }
}

function child(b, box, skip, type) {
  if (box.body + skip > box.end) return null;
  for (const c of boxes(b, box.body + skip, box.end)) if (c.type === type) return c;
  return null;
}

/// MPEG-4 descriptor (ISO 14496-1): tag, then a length of up to four 7-bit bytes.
function descriptor(b, o, end) {
  if (o >= end) return null;
  const tag = b[o++];
  let len = 0;
  for (let i = 0; i < 4 && o < end; i++) {
    const c = b[o++];
    len = (len << 7) | (c & 0x7f);
    if (!(c & 0x80)) break;
  }
  return o + len <= end ? { tag, body: o, end: o + len } : null;
}

function aacCodec(b, esds) {
  const fallback = 'mp4a.40.2';
  const es = descriptor(b, esds.body + 4, esds.end);
  if (!es || es.tag !== 3 || es.body + 3 > es.end) return fallback;
  let o = es.body + 2;
  const flags = b[o++];
  if (flags & 0x80) o += 2;
  if (flags & 0x40) o += 1 + (b[o] || 0);
  if (flags & 0x20) o += 2;
  const config = descriptor(b, o, es.end);
  if (!config || config.tag !== 4 || config.body + 13 > config.end) return fallback;
  const oti = b[config.body];
  const specific = descriptor(b, config.body + 13, config.end);
  if (oti !== 0x40 || !specific || specific.tag !== 5 || specific.body + 2 > specific.end) return 'mp4a.' + hex2(oti);
  let aot = b[specific.body] >> 3;
  if (aot === 31) aot = 32 + (((b[specific.body] & 7) << 3) | (b[specific.body + 1] >> 5));
  return 'mp4a.40.' + aot;
}

function sampleEntryCodec(b, entry) {
  switch (entry.type) {
  case 'avc1': case 'avc3': {
    const c = child(b, entry, 78, 'avcC');
    if (!c || c.body + 4 > c.end) throw new Error(entry.type + ' without avcC');
    return entry.type + '.' + hex2(b[c.body + 1]) + hex2(b[c.body + 2]) + hex2(b[c.body + 3]);
  }
  case 'hvc1': case 'hev1': {
    const c = child(b, entry, 78, 'hvcC');
    if (!c || c.body + 13 > c.end) throw new Error(entry.type + ' without hvcC');
    const profile = b[c.body + 1] & 0x1f, tier = (b[c.body + 1] >> 5) & 1;
    // RFC 6381 / ISO 14496-15 E.3: the compatibility flags bit-reversed, in hex.
    let flags = u32(b, c.body + 2), reversed = 0;
    for (let i = 0; i < 32; i++) { reversed = reversed * 2 + (flags & 1); flags >>>= 1; }
    return `${entry.type}.${profile}.${reversed.toString(16)}.${tier ? 'H' : 'L'}${b[c.body + 12]}.B0`;
  }
  case 'mp4a': {
    const c = child(b, entry, 28, 'esds');
    return c ? aacCodec(b, c) : 'mp4a.40.2';
  }
  case 'Opus': return 'opus';
  case 'av01': return 'av01.0.08M.08';
  case 'vp09': return 'vp09.00.31.08';
  default: return entry.type;
  }
}

/// The RFC 6381 codecs of an init segment's tracks, e.g. `avc1.64001f,mp4a.40.2`.
export function codecsOf(init) {
  const found = [];
  const walk = (start, end) => {
    for (const box of boxes(init, start, end)) {
      if (['moov', 'trak', 'mdia', 'minf', 'stbl'].includes(box.type)) walk(box.body, box.end);
      else if (box.type === 'stsd' && box.body + 8 <= box.end) {
        for (const entry of boxes(init, box.body + 8, box.end)) found.push(sampleEntryCodec(init, entry));
      }
    }
  };
  walk(0, init.length);
  if (!found.length) throw new Error('no track in the init segment');
  return found.join(',');
}

function concat(parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

/// One MediaSource on a video element: appends queued while the SourceBuffer is busy, the playhead moved
/// to the first buffered data (live streams start at the source's clock, not 0), the buffer trimmed.
export class MseSink {
  constructor(video, onError) {
    this.video = video;
    this.onError = onError;
    this.queue = [];
    this.buffer = null;
    this.codecs = '';
    this.started = false;
    this.source = new MediaSource();
    this.opened = new Promise(resolve => this.source.addEventListener('sourceopen', resolve, { once: true }));
    this.objectUrl = URL.createObjectURL(this.source);
    video.src = this.objectUrl;
  }

  async init(initSegment) {
    await this.opened;
    this.codecs = codecsOf(initSegment);
    const type = `video/mp4; codecs="${this.codecs}"`;
    if (!MediaSource.isTypeSupported(type)) throw new Error('this browser cannot decode ' + type);
    this.buffer = this.source.addSourceBuffer(type);
    this.buffer.mode = 'segments';
    this.buffer.addEventListener('updateend', () => this.afterAppend());
    this.buffer.addEventListener('error', () => this.onError(new Error('the browser rejected the media data')));
    this.append(initSegment);
  }

  append(bytes) {
    this.queue.push(bytes);
    this.pump();
  }

  /// Resolves once everything queued is in the buffer (the HLS loader paces itself on it).
  drained() {
    return new Promise(resolve => {
      const check = () => (!this.buffer || (!this.queue.length && !this.buffer.updating)) ? resolve() : setTimeout(check, 20);
      check();
    });
  }

  pump() {
    const b = this.buffer;
    if (!b || b.updating || !this.queue.length || this.source.readyState !== 'open') return;
    if (this.trimIfDue()) return;
    try {
      b.appendBuffer(this.queue.length === 1 ? this.queue.pop() : concat(this.queue.splice(0)));
    } catch (e) {
      if (e.name === 'QuotaExceededError') { this.trimIfDue(true); return; }
      this.onError(e);
    }
  }

  /// Keeps about 30 s behind the playhead; returns true when a remove is under way.
  trimIfDue(force) {
    const v = this.video, b = this.buffer;
    if (!b.buffered.length) return false;
    const start = b.buffered.start(0), keepFrom = v.currentTime - (force ? 5 : 10);
    if (keepFrom - start < (force ? 1 : 30)) return false;
    b.remove(start, keepFrom);
    return true;
  }

  afterAppend() {
    const v = this.video;
    if (!this.started && v.buffered.length) {
      this.started = true;
      v.currentTime = v.buffered.start(0);
      v.play().catch(() => { /* autoplay refused: the controls remain */ });
    }
    this.pump();
  }

  /// Seconds between the playhead and the newest buffered frame: how far behind live the picture is.
  get behindLive() {
    const v = this.video;
    return v.buffered.length ? v.buffered.end(v.buffered.length - 1) - v.currentTime : NaN;
  }

  close() {
    this.queue = [];
    try { if (this.source.readyState === 'open') this.source.endOfStream(); } catch { /* already closed */ }
    URL.revokeObjectURL(this.objectUrl);
  }
}

/// HTTP-fMP4: one endless response; the boxes up to moov are the init segment, then moof+mdat pairs.
export async function playFmp4(url, sink, signal, counters) {
  const response = await fetch(url, { signal, cache: 'no-store' });
  if (!response.ok) throw new Error(`HTTP ${response.status} for ${url}`);
  const reader = response.body.getReader();
  let pending = new Uint8Array(0);
  let init = [];
  for (;;) {
    const { value, done } = await reader.read();
    if (done) { counters.ended = true; return; }
    counters.bytes += value.length;
    pending = pending.length ? concat([pending, value]) : value;
    let o = 0;
    const ready = [];
    while (pending.length - o >= 8) {
      let size = u32(pending, o);
      if (size === 1) {
        if (pending.length - o < 16) break;
        size = u32(pending, o + 8) * 4294967296 + u32(pending, o + 12);
      }
      if (size < 8) throw new Error(`bad ${fourcc(pending, o + 4)} box in the stream`);
      if (pending.length - o < size) break;
      const box = pending.slice(o, o + size);
      const type = fourcc(pending, o + 4);
      o += size;
      if (init) {
        init.push(box);
        if (type === 'moov') { await sink.init(concat(init)); init = null; }
      } else {
        ready.push(box);
      }
    }
    pending = pending.slice(o);
    // Whole boxes only: a moof is appended with its mdat.
    if (ready.length) sink.append(concat(ready));
  }
}

function parsePlaylist(text, base) {
  const lines = text.split(/\r?\n/);
  if (lines[0] !== '#EXTM3U') throw new Error('not an m3u8 playlist');
  let sequence = 0, target = 2, map = null, ended = false;
  const segments = [];
  for (const line of lines) {
    if (line.startsWith('#EXT-X-MEDIA-SEQUENCE:')) sequence = parseInt(line.slice(22), 10) || 0;
    else if (line.startsWith('#EXT-X-TARGETDURATION:')) target = parseFloat(line.slice(22)) || 2;
    else if (line.startsWith('#EXT-X-MAP:')) {
      const m = /URI="([^"]+)"/.exec(line);
      if (m) map = new URL(m[1], base).href;
    } else if (line.startsWith('#EXT-X-ENDLIST')) ended = true;
    else if (line && !line.startsWith('#')) segments.push({ sn: sequence + segments.length, url: new URL(line, base).href });
  }
  return { target, map, ended, segments };
}

async function bytesOf(url, signal, counters) {
  const r = await fetch(url, { signal });
  if (!r.ok) throw new Error(`HTTP ${r.status} for ${url}`);
  const b = new Uint8Array(await r.arrayBuffer());
  counters.bytes += b.length;
  return b;
}

/// fMP4 HLS through MSE: whole segments (LL-HLS parts are left to native players), joined three from the end.
export async function playHls(url, sink, signal, counters) {
  let next = -1;
  for (;;) {
    const r = await fetch(url, { signal, cache: 'no-store' });
    if (!r.ok) throw new Error(`HTTP ${r.status} for the playlist`);
    const playlist = parsePlaylist(await r.text(), r.url);
    if (!playlist.map) throw new Error('the playlist has no EXT-X-MAP: not fMP4');
    if (!sink.buffer) await sink.init(await bytesOf(playlist.map, signal, counters));
    if (next < 0 && playlist.segments.length) next = playlist.segments[Math.max(0, playlist.segments.length - 3)].sn - 1;
    for (const seg of playlist.segments) {
      if (seg.sn <= next) continue;
      sink.append(await bytesOf(seg.url, signal, counters));
      await sink.drained();
      counters.segments = (counters.segments || 0) + 1;
      next = seg.sn;
    }
    if (playlist.ended) { counters.ended = true; return; }
    await new Promise(resolve => setTimeout(resolve, playlist.target * 500));
    if (signal.aborted) return;
  }
}
