// httpmux's web console as a target of its own, with no code: SwiftPM copies `console/` into
// `MediaRouter_HttpMuxConsole.resources/` beside the plugins, where httpmux finds it from its own path. The
// resource accessor SwiftPM generates for a target with resources imports Foundation, which loads ICU into the
// process: it is compiled here, into a module nothing links, and not into libmrplugin_httpmux.so.
