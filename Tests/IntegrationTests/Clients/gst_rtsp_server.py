#!/usr/bin/python3
"""A camera-like RTSP source for the tests: GStreamer's own RTSP server (gst-rtsp-server through GI) serving
a live 320x240 25 fps H.264 + AAC test stream at rtsp://127.0.0.1:PORT/cam, optionally with Digest auth.

Usage: gst_rtsp_server.py PORT [USER PASSWORD]
Runs until killed; prints "ready" once it listens.
"""
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
gi.require_version("GstRtsp", "1.0")
from gi.repository import GLib, Gst, GstRtsp, GstRtspServer  # noqa: E402

Gst.init(None)
port = sys.argv[1]
server = GstRtspServer.RTSPServer()
server.set_service(port)
factory = GstRtspServer.RTSPMediaFactory()
factory.set_launch(
    "( videotestsrc is-live=true ! video/x-raw,width=320,height=240,framerate=25/1 ! "
    "x264enc tune=zerolatency key-int-max=25 ! rtph264pay name=pay0 pt=96 "
    "audiotestsrc is-live=true ! audioconvert ! avenc_aac ! rtpmp4gpay name=pay1 pt=97 )")
factory.set_shared(True)
if len(sys.argv) >= 4:
    auth = GstRtspServer.RTSPAuth()
    token = GstRtspServer.RTSPToken()
    token.set_string(GstRtspServer.RTSP_TOKEN_MEDIA_FACTORY_ROLE, "user")
    auth.add_digest(sys.argv[2], sys.argv[3], token)
    auth.set_supported_methods(GstRtsp.RTSPAuthMethod.DIGEST)
    server.set_auth(auth)
    perms = GstRtspServer.RTSPPermissions()
    perms.add_permission_for_role("user", "media.factory.access", True)
    perms.add_permission_for_role("user", "media.factory.construct", True)
    factory.set_permissions(perms)
server.get_mount_points().add_factory("/cam", factory)
server.attach(None)
print("ready", flush=True)
GLib.MainLoop().run()
