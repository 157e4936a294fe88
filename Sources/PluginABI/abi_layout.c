/* The plugin ABI's layout, frozen (see CHANGELOG.md): every field offset and struct size of every
 * public struct and table of ABI 1.0 to 1.5, as LP64 (x86_64, aarch64) compilers lay them out, written as
 * literals. Compiled with the PluginABI target, so a field moved, removed or retyped in
 * mediarouter_plugin.h fails every build. Appending a field (a new minor) means appending its line here
 * and raising the struct's size: a deliberate, reviewed change. Fields are ABI 1.0 unless marked. */
#include "mediarouter_plugin.h"

#if defined(__LP64__) && (defined(__x86_64__) || defined(__aarch64__))

#define MR_FROZEN(T, f, n) _Static_assert(offsetof(T, f) == (n), #T "." #f " moved: the plugin ABI is append-only")
#define MR_FROZEN_SIZE(T, n) _Static_assert(sizeof(T) == (n), "sizeof(" #T ") changed: append fields, list them here")


/* mr_track_info */
MR_FROZEN_SIZE(mr_track_info, 64);
MR_FROZEN(mr_track_info, size, 0);
MR_FROZEN(mr_track_info, codec, 4);
MR_FROZEN(mr_track_info, kind, 8);
MR_FROZEN(mr_track_info, clock_rate, 12);
MR_FROZEN(mr_track_info, channels, 16);
MR_FROZEN(mr_track_info, width, 20);
MR_FROZEN(mr_track_info, height, 24);
MR_FROZEN(mr_track_info, fps, 32);
MR_FROZEN(mr_track_info, bitrate, 40);
MR_FROZEN(mr_track_info, extradata, 48);
MR_FROZEN(mr_track_info, extradata_len, 56);

/* mr_frame */
MR_FROZEN_SIZE(mr_frame, 32);
MR_FROZEN(mr_frame, track, 0);
MR_FROZEN(mr_frame, flags, 4);
MR_FROZEN(mr_frame, pts, 8);
MR_FROZEN(mr_frame, dts, 16);
MR_FROZEN(mr_frame, payload, 24);

/* mr_clock_ref (ABI 1.3) */
MR_FROZEN_SIZE(mr_clock_ref, 32);
MR_FROZEN(mr_clock_ref, size, 0);
MR_FROZEN(mr_clock_ref, pts, 8);
MR_FROZEN(mr_clock_ref, ntp, 16);
MR_FROZEN(mr_clock_ref, updated_us, 24);

/* mr_conn_callbacks */
MR_FROZEN_SIZE(mr_conn_callbacks, 40);
MR_FROZEN(mr_conn_callbacks, size, 0);
MR_FROZEN(mr_conn_callbacks, on_open, 8);
MR_FROZEN(mr_conn_callbacks, on_data, 16);
MR_FROZEN(mr_conn_callbacks, on_writable, 24);
MR_FROZEN(mr_conn_callbacks, on_close, 32);

/* mr_iovec (ABI 1.1) */
MR_FROZEN_SIZE(mr_iovec, 32);
MR_FROZEN(mr_iovec, buf, 0);
MR_FROZEN(mr_iovec, offset, 8);
MR_FROZEN(mr_iovec, len, 16);
MR_FROZEN(mr_iovec, bytes, 24);

/* mr_listen_options */
MR_FROZEN_SIZE(mr_listen_options, 48);
MR_FROZEN(mr_listen_options, size, 0);
MR_FROZEN(mr_listen_options, bind_address, 8);
MR_FROZEN(mr_listen_options, port, 16);
MR_FROZEN(mr_listen_options, backlog, 20);
MR_FROZEN(mr_listen_options, tls_cert_path, 24);
MR_FROZEN(mr_listen_options, tls_key_path, 32);
MR_FROZEN(mr_listen_options, reuse_port, 40); /* ABI 1.3 */

/* mr_connect_options */
MR_FROZEN_SIZE(mr_connect_options, 64);
MR_FROZEN(mr_connect_options, size, 0);
MR_FROZEN(mr_connect_options, host, 8);
MR_FROZEN(mr_connect_options, port, 16);
MR_FROZEN(mr_connect_options, timeout_ms, 20);
MR_FROZEN(mr_connect_options, tls, 24);
MR_FROZEN(mr_connect_options, tls_server_name, 32);
MR_FROZEN(mr_connect_options, tls_verify, 40);
MR_FROZEN(mr_connect_options, loop, 44);
MR_FROZEN(mr_connect_options, local_address, 48); /* ABI 1.3 */
MR_FROZEN(mr_connect_options, local_port, 56); /* ABI 1.3 */

/* mr_udp_callbacks */
MR_FROZEN_SIZE(mr_udp_callbacks, 24);
MR_FROZEN(mr_udp_callbacks, size, 0);
MR_FROZEN(mr_udp_callbacks, on_datagram, 8);
MR_FROZEN(mr_udp_callbacks, on_close, 16);

/* mr_udp_options */
MR_FROZEN_SIZE(mr_udp_options, 48);
MR_FROZEN(mr_udp_options, size, 0);
MR_FROZEN(mr_udp_options, bind_address, 8);
MR_FROZEN(mr_udp_options, port, 16);
MR_FROZEN(mr_udp_options, loop, 20);
MR_FROZEN(mr_udp_options, recv_buffer, 24);
MR_FROZEN(mr_udp_options, multicast_group, 32);
MR_FROZEN(mr_udp_options, reuse_port, 40); /* ABI 1.5 */
MR_FROZEN(mr_udp_options, read_interval_ms, 44); /* ABI 1.6: in 1.5's tail padding, read only from 1.6 plugins */

/* mr_udp_datagram (ABI 1.3) */
MR_FROZEN_SIZE(mr_udp_datagram, 32);
MR_FROZEN(mr_udp_datagram, to, 0);
MR_FROZEN(mr_udp_datagram, to_len, 8);
MR_FROZEN(mr_udp_datagram, vec, 16);
MR_FROZEN(mr_udp_datagram, vec_count, 24);

/* mr_stream_key */
MR_FROZEN_SIZE(mr_stream_key, 24);
MR_FROZEN(mr_stream_key, vhost, 0);
MR_FROZEN(mr_stream_key, app, 8);
MR_FROZEN(mr_stream_key, stream, 16);

/* mr_source_options */
MR_FROZEN_SIZE(mr_source_options, 32);
MR_FROZEN(mr_source_options, size, 0);
MR_FROZEN(mr_source_options, protocol, 8);
MR_FROZEN(mr_source_options, peer, 16);
MR_FROZEN(mr_source_options, takeover, 24);
MR_FROZEN(mr_source_options, loop, 28);

/* mr_reader_callbacks */
MR_FROZEN_SIZE(mr_reader_callbacks, 24);
MR_FROZEN(mr_reader_callbacks, size, 0);
MR_FROZEN(mr_reader_callbacks, on_frames, 8);
MR_FROZEN(mr_reader_callbacks, on_event, 16);

/* mr_reader_options */
MR_FROZEN_SIZE(mr_reader_options, 40);
MR_FROZEN(mr_reader_options, size, 0);
MR_FROZEN(mr_reader_options, protocol, 8);
MR_FROZEN(mr_reader_options, peer, 16);
MR_FROZEN(mr_reader_options, loop, 24);
MR_FROZEN(mr_reader_options, wait_ms, 28);
MR_FROZEN(mr_reader_options, max_lag, 32);

/* mr_muxer_callbacks */
MR_FROZEN_SIZE(mr_muxer_callbacks, 40);
MR_FROZEN(mr_muxer_callbacks, size, 0);
MR_FROZEN(mr_muxer_callbacks, create, 8);
MR_FROZEN(mr_muxer_callbacks, on_frames, 16);
MR_FROZEN(mr_muxer_callbacks, on_tracks, 24);
MR_FROZEN(mr_muxer_callbacks, destroy, 32);

/* mr_event */
MR_FROZEN_SIZE(mr_event, 80);
MR_FROZEN(mr_event, size, 0);
MR_FROZEN(mr_event, type, 4);
MR_FROZEN(mr_event, key, 8);
MR_FROZEN(mr_event, protocol, 32);
MR_FROZEN(mr_event, peer, 40);
MR_FROZEN(mr_event, detail, 48);
MR_FROZEN(mr_event, readers, 56);
MR_FROZEN(mr_event, bytes, 64); /* ABI 1.2 */
MR_FROZEN(mr_event, duration_ms, 72); /* ABI 1.2 */

/* mr_auth_request */
MR_FROZEN_SIZE(mr_auth_request, 72);
MR_FROZEN(mr_auth_request, size, 0);
MR_FROZEN(mr_auth_request, action, 4);
MR_FROZEN(mr_auth_request, key, 8);
MR_FROZEN(mr_auth_request, protocol, 32);
MR_FROZEN(mr_auth_request, peer, 40);
MR_FROZEN(mr_auth_request, query, 48);
MR_FROZEN(mr_auth_request, user, 56);
MR_FROZEN(mr_auth_request, password, 64);

/* mr_http_header */
MR_FROZEN_SIZE(mr_http_header, 16);
MR_FROZEN(mr_http_header, name, 0);
MR_FROZEN(mr_http_header, value, 8);

/* mr_http_request */
MR_FROZEN_SIZE(mr_http_request, 80);
MR_FROZEN(mr_http_request, size, 0);
MR_FROZEN(mr_http_request, method, 8);
MR_FROZEN(mr_http_request, path, 16);
MR_FROZEN(mr_http_request, query, 24);
MR_FROZEN(mr_http_request, headers, 32);
MR_FROZEN(mr_http_request, header_count, 40);
MR_FROZEN(mr_http_request, body, 48);
MR_FROZEN(mr_http_request, body_len, 56);
MR_FROZEN(mr_http_request, peer, 64);
MR_FROZEN(mr_http_request, is_websocket, 72);
MR_FROZEN(mr_http_request, loop, 76);

/* mr_http_server_ops */
MR_FROZEN_SIZE(mr_http_server_ops, 48);
MR_FROZEN(mr_http_server_ops, size, 0);
MR_FROZEN(mr_http_server_ops, user, 8);
MR_FROZEN(mr_http_server_ops, respond, 16);
MR_FROZEN(mr_http_server_ops, begin, 24);
MR_FROZEN(mr_http_server_ops, write, 32);
MR_FROZEN(mr_http_server_ops, end, 40);

/* mr_host_api */
MR_FROZEN_SIZE(mr_host_api, 824);
MR_FROZEN(mr_host_api, size, 0);
MR_FROZEN(mr_host_api, abi_major, 4);
MR_FROZEN(mr_host_api, abi_minor, 6);
MR_FROZEN(mr_host_api, server_version, 8);
MR_FROZEN(mr_host_api, last_error, 16);
MR_FROZEN(mr_host_api, log, 24);
MR_FROZEN(mr_host_api, config_string, 32);
MR_FROZEN(mr_host_api, config_int, 40);
MR_FROZEN(mr_host_api, config_bool, 48);
MR_FROZEN(mr_host_api, config_double, 56);
MR_FROZEN(mr_host_api, config_list_count, 64);
MR_FROZEN(mr_host_api, config_list_item, 72);
MR_FROZEN(mr_host_api, config_has, 80);
MR_FROZEN(mr_host_api, buf_alloc, 88);
MR_FROZEN(mr_host_api, buf_copy, 96);
MR_FROZEN(mr_host_api, buf_wrap, 104);
MR_FROZEN(mr_host_api, buf_retain, 112);
MR_FROZEN(mr_host_api, buf_release, 120);
MR_FROZEN(mr_host_api, buf_data, 128);
MR_FROZEN(mr_host_api, buf_mutable, 136);
MR_FROZEN(mr_host_api, buf_len, 144);
MR_FROZEN(mr_host_api, buf_slice, 152);
MR_FROZEN(mr_host_api, loop_count, 160);
MR_FROZEN(mr_host_api, loop_current, 168);
MR_FROZEN(mr_host_api, run_on_loop, 176);
MR_FROZEN(mr_host_api, run_on_worker, 184);
MR_FROZEN(mr_host_api, timer_start, 192);
MR_FROZEN(mr_host_api, timer_cancel, 200);
MR_FROZEN(mr_host_api, now_us, 208);
MR_FROZEN(mr_host_api, tcp_listen, 216);
MR_FROZEN(mr_host_api, listener_port, 224);
MR_FROZEN(mr_host_api, listener_close, 232);
MR_FROZEN(mr_host_api, tcp_connect, 240);
MR_FROZEN(mr_host_api, conn_set_user, 248);
MR_FROZEN(mr_host_api, conn_send, 256);
MR_FROZEN(mr_host_api, conn_send_bytes, 264);
MR_FROZEN(mr_host_api, conn_cork, 272);
MR_FROZEN(mr_host_api, conn_set_nodelay, 280);
MR_FROZEN(mr_host_api, conn_writable, 288);
MR_FROZEN(mr_host_api, conn_pending_bytes, 296);
MR_FROZEN(mr_host_api, conn_set_reading, 304);
MR_FROZEN(mr_host_api, conn_close, 312);
MR_FROZEN(mr_host_api, conn_loop, 320);
MR_FROZEN(mr_host_api, conn_peer, 328);
MR_FROZEN(mr_host_api, conn_local, 336);
MR_FROZEN(mr_host_api, conn_id, 344);
MR_FROZEN(mr_host_api, udp_bind, 352);
MR_FROZEN(mr_host_api, udp_send, 360);
MR_FROZEN(mr_host_api, udp_port, 368);
MR_FROZEN(mr_host_api, udp_loop, 376);
MR_FROZEN(mr_host_api, udp_close, 384);
MR_FROZEN(mr_host_api, source_open, 392);
MR_FROZEN(mr_host_api, source_add_track, 400);
MR_FROZEN(mr_host_api, source_update_track, 408);
MR_FROZEN(mr_host_api, source_ready, 416);
MR_FROZEN(mr_host_api, source_write, 424);
MR_FROZEN(mr_host_api, source_close, 432);
MR_FROZEN(mr_host_api, source_reader_count, 440);
MR_FROZEN(mr_host_api, reader_open, 448);
MR_FROZEN(mr_host_api, reader_open_derived, 456);
MR_FROZEN(mr_host_api, reader_set_paused, 464);
MR_FROZEN(mr_host_api, reader_close, 472);
MR_FROZEN(mr_host_api, reader_track_count, 480);
MR_FROZEN(mr_host_api, reader_track_info, 488);
MR_FROZEN(mr_host_api, reader_skipped, 496);
MR_FROZEN(mr_host_api, ring_track_count, 504);
MR_FROZEN(mr_host_api, ring_track_info, 512);
MR_FROZEN(mr_host_api, ring_write, 520);
MR_FROZEN(mr_host_api, ring_set_header, 528);
MR_FROZEN(mr_host_api, event_subscribe, 536);
MR_FROZEN(mr_host_api, event_unsubscribe, 544);
MR_FROZEN(mr_host_api, event_emit, 552);
MR_FROZEN(mr_host_api, auth_ask, 560);
MR_FROZEN(mr_host_api, auth_set_handler, 568);
MR_FROZEN(mr_host_api, auth_answer, 576);
MR_FROZEN(mr_host_api, stat_add, 584);
MR_FROZEN(mr_host_api, stat_set, 592);
MR_FROZEN(mr_host_api, http_route_add, 600);
MR_FROZEN(mr_host_api, http_server_register, 608);
MR_FROZEN(mr_host_api, http_exchange_new, 616);
MR_FROZEN(mr_host_api, http_exchange_context, 624);
MR_FROZEN(mr_host_api, http_dispatch, 632);
MR_FROZEN(mr_host_api, http_exchange_free, 640);
MR_FROZEN(mr_host_api, http_respond, 648);
MR_FROZEN(mr_host_api, http_begin, 656);
MR_FROZEN(mr_host_api, http_write, 664);
MR_FROZEN(mr_host_api, http_end, 672);
MR_FROZEN(mr_host_api, http_on_close, 680);
MR_FROZEN(mr_host_api, describe_plugins, 688);
MR_FROZEN(mr_host_api, describe_streams, 696);
MR_FROZEN(mr_host_api, describe_readers, 704);
MR_FROZEN(mr_host_api, request_reload, 712);
MR_FROZEN(mr_host_api, conn_send_vec, 720); /* ABI 1.1 */
MR_FROZEN(mr_host_api, command_register, 728); /* ABI 1.2 */
MR_FROZEN(mr_host_api, command_call, 736); /* ABI 1.2 */
MR_FROZEN(mr_host_api, command_answer, 744); /* ABI 1.2 */
MR_FROZEN(mr_host_api, udp_bind_group, 752); /* ABI 1.3 */
MR_FROZEN(mr_host_api, udp_send_batch, 760); /* ABI 1.3 */
MR_FROZEN(mr_host_api, udp_cork, 768); /* ABI 1.3 */
MR_FROZEN(mr_host_api, udp_flush, 776); /* ABI 1.3 */
MR_FROZEN(mr_host_api, source_set_clock_ref, 784); /* ABI 1.3 */
MR_FROZEN(mr_host_api, reader_clock_ref, 792); /* ABI 1.3 */
MR_FROZEN(mr_host_api, plugin_name, 800); /* ABI 1.3 */
MR_FROZEN(mr_host_api, reader_request_keyframe, 808); /* ABI 1.4 */
MR_FROZEN(mr_host_api, source_set_keyframe_handler, 816); /* ABI 1.4 */

/* mr_config_key */
MR_FROZEN_SIZE(mr_config_key, 24);
MR_FROZEN(mr_config_key, name, 0);
MR_FROZEN(mr_config_key, type, 8);
MR_FROZEN(mr_config_key, description, 16);

/* mr_plugin_descriptor */
MR_FROZEN_SIZE(mr_plugin_descriptor, 120);
MR_FROZEN(mr_plugin_descriptor, size, 0);
MR_FROZEN(mr_plugin_descriptor, abi_major, 4);
MR_FROZEN(mr_plugin_descriptor, abi_minor, 6);
MR_FROZEN(mr_plugin_descriptor, name, 8);
MR_FROZEN(mr_plugin_descriptor, version, 16);
MR_FROZEN(mr_plugin_descriptor, description, 24);
MR_FROZEN(mr_plugin_descriptor, license, 32);
MR_FROZEN(mr_plugin_descriptor, build_signature, 40);
MR_FROZEN(mr_plugin_descriptor, config_keys, 48);
MR_FROZEN(mr_plugin_descriptor, config_key_count, 56);
MR_FROZEN(mr_plugin_descriptor, init, 64);
MR_FROZEN(mr_plugin_descriptor, start, 72);
MR_FROZEN(mr_plugin_descriptor, reconfigure, 80);
MR_FROZEN(mr_plugin_descriptor, stop, 88);
MR_FROZEN(mr_plugin_descriptor, destroy, 96);
MR_FROZEN(mr_plugin_descriptor, status, 104);
MR_FROZEN(mr_plugin_descriptor, serves, 112); /* ABI 1.3 */

#endif
