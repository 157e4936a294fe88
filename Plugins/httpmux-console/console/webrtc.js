// WHIP and WHEP as the console speaks them (RFC 9725 and its play-side twin): one non-trickle offer/answer
// over HTTP, the session's resource URL kept for the DELETE that ends it.

/// Sends `pc`'s offer to `url` once ICE gathering is done (or after a second: the server is ICE-lite and
/// learns our address from STUN, so host candidates are enough) and applies the answer. Resolves with a
/// function that closes the peer connection and deletes the server's session.
export async function negotiate(pc, url, label) {
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise(resolve => {
    if (pc.iceGatheringState === 'complete') return resolve();
    pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && resolve());
    setTimeout(resolve, 1000);
  });
  let r;
  try {
    r = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/sdp' }, body: pc.localDescription.sdp });
  } catch (e) {
    pc.close();
    throw e;
  }
  if (!r.ok) {
    // The server says why in plain text (bad offer, unknown stream, refused by a hook).
    const reason = (await r.text().catch(() => '')).trim().slice(0, 200);
    pc.close();
    throw new Error(`${label}: HTTP ${r.status}${reason ? ' — ' + reason : ''}`);
  }
  await pc.setRemoteDescription({ type: 'answer', sdp: await r.text() });
  const resource = r.headers.get('Location');
  return () => {
    pc.close();
    if (resource) fetch(new URL(resource, url), { method: 'DELETE' }).catch(() => {});
  };
}

/// The codec of the first RTP stream of `kind` in a getStats report ("H264", "opus"), or ''.
export function codecOf(report, kind, type) {
  for (const s of report.values()) {
    if (s.type === type && s.kind === kind && s.codecId) {
      const c = report.get(s.codecId);
      return c ? c.mimeType.split('/')[1] : '';
    }
  }
  return '';
}
