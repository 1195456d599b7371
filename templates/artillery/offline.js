// Preloaded into Artillery (NODE_OPTIONS=--require=./offline.js, as the README's commands run it,
// and by every run inferload starts): Artillery 2.0.21, the last release for Node 20, sends a
// "test run" event to PostHog (app.posthog.com) even with ARTILLERY_DISABLE_TELEMETRY set, and
// waits for it at exit: offline, four tries three seconds apart hold every run's end for 12 s. A load test sends its load and nothing else, so
// the PostHog client Artillery loads is replaced by one that sends nothing.
'use strict';

const Module = require('module');

class SilentPostHog {
  capture() {}
  async shutdownAsync() {}
}

const load = Module._load;
Module._load = function loadWithoutPostHog(request, parent, isMain) {
  if (request === 'posthog-node') return { PostHog: SilentPostHog };
  return load.call(this, request, parent, isMain);
};
