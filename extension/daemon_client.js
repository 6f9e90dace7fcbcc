// The daemon's HTTP API as the extension uses it. Runs in extension contexts only (service
// worker, options, popup), never in content scripts: it handles the token. Needs RedactorSettings'
// settings object; never logs bodies.
//
// Every request carries the token, and before each one the daemon must prove it holds the same
// token: the extension sends a fresh random nonce WITHOUT the token and checks the answer,
// HMAC-SHA256(token, "redactor-daemon-v1|<nonce>|<host:port>"), for the literal address it
// connected to. Another program on that port (a squatter while the daemon is down, another
// user's process on [::1]) learns nothing and gets no image; relaying the nonce to the real
// daemon on another address yields a proof for the wrong address. No proof is reused: one costs
// a loopback round trip (a few ms), and a reused one would let a program that took the port
// after the daemon stopped receive the next image.
"use strict";

globalThis.RedactorDaemon = (() => {
  const NATIVE_HOST = "org.redactor.daemon";
  const PROOF_CONTEXT = "redactor-daemon-v1";

  class DaemonError extends Error {
    constructor(code, message, retryAfter = 0) {
      super(message);
      this.code = code;
      this.retryAfter = retryAfter;
    }
  }

  const UNVERIFIED =
    "could not be verified as your redact daemon (another program may hold its port, or the " +
    "token is not this daemon's). Nothing was sent to it.";

  // ---- the token: from the native host (`redact extension --install-native-host`) ----

  // {token, daemon_url} from `redact native-host`, or null when it is not installed. Images
  // picked together share one question (each asks the browser to start a process).
  let asking = null;

  function askNativeHost() {
    if (!asking) asking = nativeAnswer().finally(() => (asking = null));
    return asking;
  }

  async function nativeAnswer() {
    if (!globalThis.chrome || !chrome.runtime || !chrome.runtime.sendNativeMessage) return null;
    try {
      const answer = await chrome.runtime.sendNativeMessage(NATIVE_HOST, { type: "token" });
      if (answer && typeof answer.token === "string" && answer.token.length >= 32) return answer;
    } catch {
      // Not installed, or the browser refused: the options page's paste is the fallback.
    }
    return null;
  }

  // The settings with a token: the stored one, or (none stored, or `refresh` after the daemon
  // refused it) a fresh one from the native host, which is then stored.
  async function withToken(settings, { refresh = false } = {}) {
    if (settings.token && !refresh) return settings;
    const answer = await askNativeHost();
    if (!answer || (refresh && answer.token === settings.token)) return settings;
    const changes = { token: answer.token };
    try {
      changes.nativeDaemonUrl = globalThis.RedactorSettings.normalizeDaemonUrl(answer.daemon_url);
    } catch {
      // An address the extension cannot use: keep the configured one.
    }
    await globalThis.RedactorSettings.save(changes);
    const next = { ...settings, token: answer.token };
    if (!settings.daemonUrlChosen && changes.nativeDaemonUrl) next.daemonUrl = changes.nativeDaemonUrl;
    return next;
  }

  // ---- proving the daemon ----

  const encoder = new TextEncoder();

  function base64url(bytes) {
    let text = "";
    for (const byte of bytes) text += String.fromCharCode(byte);
    return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function hex(buffer) {
    return [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, "0")).join("");
  }

  // "127.0.0.1:8765" or "[::1]:8765": what the daemon sees as its own end of the connection.
  function addressOf(daemonUrl) {
    const url = new URL(daemonUrl);
    return `${url.hostname}:${url.port || "80"}`;
  }

  async function expectedProof(token, nonce, address) {
    const key = await crypto.subtle.importKey(
      "raw", encoder.encode(token), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]
    );
    const message = encoder.encode(`${PROOF_CONTEXT}|${nonce}|${address}`);
    return hex(await crypto.subtle.sign("HMAC", key, message));
  }

  function sameText(a, b) {
    if (typeof a !== "string" || a.length !== b.length) return false;
    let difference = 0;
    for (let i = 0; i < a.length; i++) difference |= a.charCodeAt(i) ^ b.charCodeAt(i);
    return difference === 0;
  }

  // Resolves once the daemon at settings.daemonUrl has proved it holds settings.token; throws
  // DaemonError("daemon_unverified") when it cannot.
  async function prove(settings) {
    if (!settings.token) {
      throw new DaemonError(
        "no_token",
        "The extension has no token for the daemon yet. Run `redact extension " +
          "--install-native-host` once, or paste the token in the extension's options."
      );
    }
    const nonce = base64url(crypto.getRandomValues(new Uint8Array(32)));
    let proof = null;
    try {
      const response = await send(settings, "/v1/challenge", {
        method: "POST",
        body: JSON.stringify({ nonce }),
        headers: { "Content-Type": "application/json" },
      });
      proof = (await response.json()).proof;
    } catch (error) {
      // Nobody there, or too slow: say so. Any other answer than a proof is a missing proof.
      if (error instanceof DaemonError && ["daemon_unreachable", "timeout"].includes(error.code)) {
        throw error;
      }
      proof = null;
    }
    const expected = await expectedProof(settings.token, nonce, addressOf(settings.daemonUrl));
    if (!sameText(proof, expected)) {
      throw new DaemonError("daemon_unverified", `The program at ${settings.daemonUrl} ${UNVERIFIED}`);
    }
  }

  // ---- HTTP ----

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

  // One request; `token` adds the Authorization header (only ever after a proof).
  async function send(settings, path, { method = "GET", body, headers = {}, query, token } = {}) {
    const url = new URL(path, settings.daemonUrl);
    for (const [key, value] of Object.entries(query || {})) url.searchParams.set(key, value);
    const sent = { ...headers };
    if (token) sent.Authorization = `Bearer ${token}`;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), settings.timeoutSeconds * 1000);
    let response;
    try {
      response = await fetch(url, {
        method,
        body,
        headers: sent,
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

  // An authenticated call: get a token if there is none, prove the daemon, then send. When the
  // daemon refuses the token, or cannot prove the one stored, ask the native host for a fresh
  // one once (the daemon's token may have been replaced).
  async function call(settings, path, options = {}) {
    let current = await withToken(settings);
    for (let attempt = 1; ; attempt++) {
      try {
        await prove(current);
        return await send(current, path, { ...options, token: current.token });
      } catch (error) {
        const refused = error instanceof DaemonError &&
          ["bad_token", "token_required", "daemon_unverified"].includes(error.code);
        if (!refused || attempt > 1) throw error;
        const fresh = await withToken(current, { refresh: true });
        if (fresh.token === current.token) throw error;
        current = fresh;
      }
    }
  }

  async function health(settings) {
    return (await call(settings, "/v1/health")).json();
  }

  async function attributes(settings) {
    return (await call(settings, "/v1/attributes")).json();
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

  return { DaemonError, health, attributes, redact, prove, withToken };
})();
