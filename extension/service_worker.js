// Service worker: the only part of the extension that talks to the daemon for web pages. Content
// scripts send it the image (base64 in a runtime message); it gets the token (native host or
// the options' paste), has the daemon prove it holds that token, and only then posts the bytes
// (daemon_client.js). Content scripts never see the token: storage.local is closed to
// them, they change nothing but by messages. Images stay in memory and are never logged or
// stored; per-tab counts live in storage.session (memory only).
"use strict";

if (typeof importScripts === "function" && !globalThis.RedactorSettings) {
  importScripts("settings.js", "bytes.js", "daemon_client.js");
}

const { load: loadSettings, siteListed } = globalThis.RedactorSettings;
const { toBase64, fromBase64 } = globalThis.RedactorBytes;
const Daemon = globalThis.RedactorDaemon;

// The token lives in storage.local: only the extension's own pages and this worker may read it.
// (Chromium; Firefox can restrict only storage.session, see docs/security.md.)
const storageClosed = chrome.storage.local.setAccessLevel
  ? chrome.storage.local.setAccessLevel({ accessLevel: "TRUSTED_CONTEXTS" }).catch(() => undefined)
  : Promise.resolve();
// The level may not outlive the browser session: these events start the worker (and so the call
// above) when the browser starts or the extension is installed, before pages need it.
chrome.runtime.onStartup.addListener(() => storageClosed);
chrome.runtime.onInstalled.addListener(() => storageClosed);

function hostOf(url) {
  try {
    return new URL(url).hostname;
  } catch {
    return "";
  }
}

// ---- per-tab state: {host of the top-level page, images redacted on it} ----

const tabKey = (tabId) => `tab:${tabId}`;
let tabUpdates = Promise.resolve(); // read-modify-write of the session store, one at a time

function updateTab(tabId, change) {
  tabUpdates = tabUpdates
    .then(async () => {
      const key = tabKey(tabId);
      const current = (await chrome.storage.session.get(key))[key] || { host: "", count: 0 };
      const next = change(current);
      await chrome.storage.session.set({ [key]: next });
      await chrome.action.setBadgeText({ tabId, text: next.count ? String(next.count) : "" });
      return next;
    })
    .catch(() => undefined); // a closed tab: nothing to update
  return tabUpdates;
}

// The host of the top-level page the sending frame belongs to: a subframe's content script reads
// it from its own location; else the tab's committed URL. Never the per-tab store, which another
// page (the one before, in the same tab) may have written last.
function topHostOf(sender, message) {
  if (sender.frameId === 0 || !sender.tab) return hostOf(sender.url);
  const claimed = message && typeof message.topOrigin === "string" ? hostOf(message.topOrigin) : "";
  return claimed || hostOf(sender.tab.url || "");
}

function siteState(settings, host) {
  return {
    host,
    enabled: !siteListed(settings.disabledSites, host),
    allowOriginals: siteListed(settings.allowOriginalSites, host),
  };
}

// ---- messages from content scripts ----

// "hello": a content script starting on a new page; "site": asking again after a settings change.
async function onHello(message, sender, newPage) {
  const host = topHostOf(sender, message);
  if (newPage && sender.tab && sender.frameId === 0) {
    await updateTab(sender.tab.id, () => ({ host, count: 0 })); // a new page: count from zero
  }
  const settings = await loadSettings();
  return { ...siteState(settings, host), timeoutSeconds: settings.timeoutSeconds };
}

// An idle service worker is stopped after 30 s; a large photo can take the daemon longer. Calling
// an extension API resets that timer, so keep calling one while a redaction is in flight.
async function keepingAlive(promise) {
  const keepAlive = setInterval(() => chrome.runtime.getPlatformInfo(), 20_000);
  try {
    return await promise;
  } finally {
    clearInterval(keepAlive);
  }
}

async function onRedact(message, sender) {
  await storageClosed;
  const settings = await loadSettings();
  const site = siteState(settings, topHostOf(sender, message));
  if (!site.enabled) return { ok: true, original: true };
  try {
    const result = await keepingAlive(
      Daemon.redact(settings, fromBase64(message.data), message.contentType)
    );
    if (sender.tab) await updateTab(sender.tab.id, (s) => ({ ...s, count: s.count + 1 }));
    return {
      ok: true,
      data: toBase64(result.bytes),
      contentType: result.contentType,
      summary: result.summary,
    };
  } catch (error) {
    const code = error instanceof Daemon.DaemonError ? error.code : "extension_error";
    return {
      ok: false,
      error: code,
      message: error instanceof Daemon.DaemonError ? error.message : "The extension failed.",
      // Something impersonating the daemon is an attack, not an outage: never the original.
      allowOriginals: site.allowOriginals && code !== "daemon_unverified",
    };
  }
}

chrome.runtime.onMessage.addListener((message, sender, sendResponse) => {
  if (sender.id !== chrome.runtime.id || !message || typeof message.type !== "string") return false;
  let reply;
  if (message.type === "hello" || message.type === "site") {
    reply = onHello(message, sender, message.type === "hello");
  }
  else if (message.type === "redact") reply = onRedact(message, sender);
  else return false;
  reply.then(sendResponse, () => sendResponse({ ok: false, error: "extension_error" }));
  return true; // answer asynchronously
});

// Content scripts cannot watch storage.local any more: tell every frame to ask again.
chrome.storage.onChanged.addListener((changes, area) => {
  if (area !== "local") return;
  chrome.tabs.query({}).then(
    (tabs) => {
      for (const tab of tabs) {
        chrome.tabs.sendMessage(tab.id, { type: "settings-changed" }).catch(() => undefined);
      }
    },
    () => undefined
  );
});

chrome.tabs.onRemoved.addListener((tabId) => {
  chrome.storage.session.remove(tabKey(tabId)).catch(() => undefined);
});
