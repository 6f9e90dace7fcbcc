// Settings shared by the service worker, the options page and the popup (a classic script:
// it defines one global, RedactorSettings). Kept in chrome.storage.local; nothing here ever
// holds image content.
"use strict";

globalThis.RedactorSettings = (() => {
  const DEFAULTS = Object.freeze({
    daemonUrl: "http://127.0.0.1:8765",
    token: "", // from `redact serve --show-token`; needed by Firefox (pairing), optional in Chromium
    hide: [], // attribute names for the daemon's `hide`; empty: the daemon's own defaults
    mode: "", // blur | pixelate | fill; empty: the daemon's default
    disabledSites: [], // hosts where the extension does nothing
    allowOriginalSites: [], // hosts where an image that cannot be redacted goes through unchanged
    timeoutSeconds: 60,
  });

  // The manifest grants host access to loopback only, so only loopback addresses can work.
  const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);

  function normalizeDaemonUrl(text) {
    let url;
    try {
      url = new URL(String(text).trim());
    } catch {
      throw new Error("Not an address. Use e.g. http://127.0.0.1:8765");
    }
    if (url.protocol !== "http:" || !LOOPBACK_HOSTS.has(url.hostname)) {
      throw new Error(
        "The daemon runs on this machine: use http://127.0.0.1:PORT or http://localhost:PORT"
      );
    }
    return `${url.protocol}//${url.host}`;
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

  async function load() {
    const stored = await chrome.storage.local.get(Object.keys(DEFAULTS));
    return { ...DEFAULTS, ...stored };
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
    load,
    save,
    normalizeDaemonUrl,
    normalizeHost,
    parseHostList,
    siteListed,
    setSiteListed,
  };
})();
