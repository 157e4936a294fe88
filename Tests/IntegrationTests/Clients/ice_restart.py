"""PATCH on a connected WHIP/WHEP session (RFC 9725 4.4) from the aioice connection of an aiortc peer: a
trickled candidate, a stale If-Match, a wrong content type, then an ICE restart with new credentials. After
the restart it sends binding requests on the media socket with the old credentials (the server must have
forgotten them) and with the new ones (the server must answer), and leaves aioice on the new ones so its
consent checks keep the session alive."""
import asyncio, secrets, string

from aioice import stun
from webrtc_http import http

TRICKLE = "application/trickle-ice-sdpfrag"


def fragment(ufrag, password, candidate=None):
    lines = [f"a=ice-ufrag:{ufrag}", f"a=ice-pwd:{password}", "m=video 9 UDP/TLS/RTP/SAVPF 0", "a=mid:0"]
    if candidate:
        lines += [f"a=candidate:{candidate}", "a=end-of-candidates"]
    return ("\r\n".join(lines) + "\r\n").encode()


def random_text(n):
    return "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(n))


async def check(pair, request, password, retransmissions):
    """True if the server answered the binding request with a success response."""
    try:
        await pair.protocol.request(request, pair.remote_addr, integrity_key=password.encode(), retransmissions=retransmissions)
        return True
    except stun.TransactionError:
        return False


async def exercise_patch(conn, session_url, etag):
    loop = asyncio.get_running_loop()

    async def patch(body, ctype, if_match):
        return await loop.run_in_executor(None, lambda: http("PATCH", session_url, body, ctype, {"If-Match": if_match}))

    out = {}
    mine = fragment(conn.local_username, conn.local_password, "1 1 udp 2130706431 192.0.2.1 50000 typ host")
    status, headers, _ = await patch(mine, TRICKLE, etag)
    out["trickle"], out["trickle_etag"] = status, headers.get("ETag", "")
    out["stale_if_match"] = (await patch(mine, TRICKLE, '"stale"'))[0]
    out["wrong_type"] = (await patch(mine, "application/sdp", etag))[0]

    new_ufrag, new_password = random_text(8), random_text(24)
    status, headers, body = await patch(fragment(new_ufrag, new_password), TRICKLE, "*")
    out["restart"], out["restart_etag"], out["restart_type"] = status, headers.get("ETag", ""), headers.get("Content-Type", "")
    values = dict(line.split(":", 1) for line in body.splitlines() if line.startswith("a=ice-") and ":" in line)
    server_ufrag, server_password = values.get("a=ice-ufrag", ""), values.get("a=ice-pwd", "")
    out["server_ufrag_changed"] = bool(server_ufrag) and server_ufrag != conn.remote_username
    out["ice_lite"] = "a=ice-lite" in body

    pair = next(iter(conn._nominated.values()))
    out["old_credentials_answered"] = await check(pair, conn.build_request(pair, nominate=False), conn.remote_password, 1)
    conn.remote_username, conn.remote_password = server_ufrag, server_password
    conn._local_username, conn._local_password = new_ufrag, new_password
    out["new_credentials_answered"] = await check(pair, conn.build_request(pair, nominate=True), server_password, 3)
    return out
