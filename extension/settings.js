// Settings shared by the service worker, the options page and the popup (a classic script:
// it defines one global, RedactorSettings). Kept in chrome.storage.local, which the service
// worker restricts to the extension's own pages (TRUSTED_CONTEXTS): content scripts, which run
// inside web pages' processes, cannot read the token. Nothing here ever holds image content.
"use strict";

globalThis.RedactorSettings = (() => {
  const DEFAULTS = Object.freeze({
    daemonUrl: "", // chosen in the options; empty: the native host's address, else the default
    nativeDaemonUrl: "", // where `redact native-host` says the daemon listens
    token: "", // from the native host, or pasted from `redact serve --show-token`
    hide: [], // attribute names for the daemon's `hide`; empty: the daemon's own defaults
    mode: "", // blur | pixelate | fill; empty: the daemon's default
    disabledSites: [], // hosts where the extension does nothing
    allowOriginalSites: [], // hosts where an image that cannot be redacted goes through unchanged
    timeoutSeconds: 60,
  });

  const DEFAULT_DAEMON_URL = "http://127.0.0.1:8765";
  // Literal loopback addresses only (the manifest grants no other host). "localhost" becomes
  // 127.0.0.1: it can resolve to [::1], where another user's program may listen on the port.
  const LOOPBACK_HOSTS = new Set(["127.0.0.1", "[::1]"]);

  function normalizeDaemonUrl(text) {
    let url;
    try {
      url = new URL(String(text).trim());
    } catch {
      throw new Error("Not an address. Use e.g. http://127.0.0.1:8765");
    }
    if (url.hostname === "localhost") url.hostname = "127.0.0.1";
    if (url.protocol !== "http:" || !LOOPBACK_HOSTS.has(url.hostname)) {
      throw new Error("The daemon runs on this machine: use http://127.0.0.1:PORT (or http://[::1]:PORT)");
    }
    return `${url.protocol}//${url.host}`;
  }

  function usableUrl(text) {
    try {
      return text ? normalizeDaemonUrl(text) : "";
    } catch {
      return "";
    }
  }

  // "https://www.example.com/x" or "Example.com" -> "www.example.com" / "example.com"
  function normalizeHost(text) {
    let value = String(text).trim().toLowerCase();
    if (!value) return "";
    if (value.includes("://")) {
      try {
        value = new URL(value).hostname;
      } catch {
        return "";
      }
    }
    return value.replace(/\/.*$/, "").replace(/:\d+$/, "").replace(/^\*\./, "").replace(/\.$/, "");
  }

  function parseHostList(text) {
    const hosts = String(text)
      .split(/[\s,]+/)
      .map(normalizeHost)
      .filter(Boolean);
    return [...new Set(hosts)];
  }

  // An entry covers its host and every subdomain: "example.com" covers "www.example.com".
  function siteListed(list, host) {
    if (!host) return false;
    return list.some((entry) => host === entry || host.endsWith(`.${entry}`));
  }

  // The effective settings; daemonUrlChosen says whether the address is the user's own.
  async function load() {
    const stored = await chrome.storage.local.get(Object.keys(DEFAULTS));
    const settings = { ...DEFAULTS, ...stored };
    const chosen = usableUrl(settings.daemonUrl);
    settings.daemonUrlChosen = Boolean(chosen);
    settings.daemonUrl = chosen || usableUrl(settings.nativeDaemonUrl) || DEFAULT_DAEMON_URL;
    return settings;
  }

  async function save(changes) {
    const known = Object.fromEntries(
      Object.entries(changes).filter(([key]) => Object.hasOwn(DEFAULTS, key))
    );
    await chrome.storage.local.set(known);
  }

  // Turns a site on or off (popup switch); returns the new list.
  async function setSiteListed(listName, host, listed) {
    const settings = await load();
    const list = settings[listName].filter((entry) => entry !== host);
    if (listed) list.push(host);
    else {
      // Switching a site back on also drops broader entries that cover it.
      for (let i = list.length - 1; i >= 0; i--) if (siteListed([list[i]], host)) list.splice(i, 1);
    }
    await chrome.storage.local.set({ [listName]: list });
    return list;
  }

  return {
    DEFAULTS,
    DEFAULT_DAEMON_URL,
    load,
    save,
    normalizeDaemonUrl,
    normalizeHost,
    parseHostList,
    siteListed,
    setSiteListed,
  };
})();
