"""What the WHIP and WHEP test clients share: loopback ICE candidates for aiortc, and a small HTTP helper."""
import urllib.error, urllib.request

import aioice.ice
# aioice leaves loopback out of its host candidates; the server under test listens on 127.0.0.1 only.
aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]


def http(method, url, body=None, ctype=None, headers=None):
    """(status, headers, body text) of one request; HTTP errors are answers too."""
    req = urllib.request.Request(url, data=body, method=method)
    if ctype:
        req.add_header("Content-Type", ctype)
    for name, value in (headers or {}).items():
        req.add_header(name, value)
    try:
        with urllib.request.urlopen(req, timeout=15) as r:
            return r.status, dict(r.headers), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read().decode()
