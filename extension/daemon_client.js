// The daemon's HTTP API as the extension uses it. Runs in extension contexts only (service
// worker, options, popup): their requests carry the extension's own Origin, which the daemon
// pins. Needs RedactorSettings' settings object; never logs bodies.
"use strict";

globalThis.RedactorDaemon = (() => {
  class DaemonError extends Error {
    constructor(code, message, retryAfter = 0) {
      super(message);
      this.code = code;
      this.retryAfter = retryAfter;
    }
  }

  function headersFor(settings, extra = {}) {
    const headers = { ...extra };
    if (settings.token) headers.Authorization = `Bearer ${settings.token}`;
    return headers;
  }

  async function errorFrom(response) {
    let code = `http_${response.status}`;
    let message = `The daemon answered ${response.status} ${response.statusText}`.trim();
    try {
      const body = await response.json();
      if (body && typeof body.error === "string") code = body.error;
      if (body && typeof body.message === "string") message = body.message;
    } catch {
      // Not JSON: keep the status line.
    }
    return new DaemonError(code, message, Number(response.headers.get("Retry-After")) || 0);
  }

  async function call(settings, path, { method = "GET", body, headers = {}, query } = {}) {
    const url = new URL(path, settings.daemonUrl);
    for (const [key, value] of Object.entries(query || {})) url.searchParams.set(key, value);
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), settings.timeoutSeconds * 1000);
    let response;
    try {
      response = await fetch(url, {
        method,
        body,
        headers: headersFor(settings, headers),
        signal: controller.signal,
        credentials: "omit",
        cache: "no-store",
        redirect: "error",
      });
    } catch (error) {
      if (controller.signal.aborted) {
        throw new DaemonError(
          "timeout",
          `The redaction daemon did not answer within ${settings.timeoutSeconds} s.`
        );
      }
      throw new DaemonError(
        "daemon_unreachable",
        `The redaction daemon is not running at ${settings.daemonUrl}. Start it with \`redact serve\`.`
      );
    } finally {
      clearTimeout(timer);
    }
    if (!response.ok) throw await errorFrom(response);
    return response;
  }

  async function health(settings) {
    return (await call(settings, "/v1/health")).json();
  }

  async function attributes(settings) {
    return (await call(settings, "/v1/attributes")).json();
  }

  async function pair(settings) {
    return (await call(settings, "/v1/pair", { method: "POST" })).json();
  }

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  // bytes: Uint8Array; returns {bytes, contentType, summary}. A busy daemon (503 "overloaded")
  // is asked again a few times, as its Retry-After says.
  async function redact(settings, bytes, contentType) {
    const query = {};
    if (settings.hide.length) query.hide = settings.hide.join(",");
    if (settings.mode) query.mode = settings.mode;
    const request = { method: "POST", body: bytes, headers: { "Content-Type": contentType }, query };
    let response;
    for (let attempt = 1; ; attempt++) {
      try {
        response = await call(settings, "/v1/redact", request);
        break;
      } catch (error) {
        if (!(error instanceof DaemonError) || error.code !== "overloaded" || attempt >= 4) throw error;
        await sleep(Math.min(error.retryAfter || 1, 5) * 1000);
      }
    }
    const answeredType = (response.headers.get("Content-Type") || "").split(";")[0].trim();
    if (!answeredType.startsWith("image/")) {
      throw new DaemonError("bad_answer", "The daemon did not answer with an image.");
    }
    const redacted = new Uint8Array(await response.arrayBuffer());
    if (!redacted.length) throw new DaemonError("bad_answer", "The daemon answered an empty image.");
    let summary = null;
    try {
      summary = JSON.parse(response.headers.get("X-Redactor-Summary") || "null");
    } catch {
      summary = null;
    }
    return { bytes: redacted, contentType: answeredType, summary };
  }

  return { DaemonError, health, attributes, pair, redact };
})();
