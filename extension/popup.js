// Toolbar popup: is the daemon up, how many images were redacted on this page, and switches for
// the current site. Opened as a page (tests, keyboard users) it takes the tab from `?tab=ID`.
"use strict";

const Settings = globalThis.RedactorSettings;
const Daemon = globalThis.RedactorDaemon;
const $ = (id) => document.getElementById(id);

async function targetTabId() {
  const asked = Number(new URLSearchParams(location.search).get("tab"));
  if (Number.isInteger(asked) && asked > 0) return asked;
  const [tab] = await chrome.tabs.query({ active: true, currentWindow: true });
  return tab ? tab.id : null;
}

async function showDaemon(settings) {
  const node = $("daemon-status");
  try {
    const health = await Daemon.health(settings);
    node.textContent = health.ready
      ? `Daemon running (redactor ${health.version})`
      : `Daemon starting: ${health.status}`;
    node.className = `status ${health.ready ? "ok" : ""}`;
    node.dataset.state = health.ready ? "ready" : "starting";
  } catch (error) {
    const down = ["daemon_unreachable", "timeout"].includes(error.code);
    node.textContent = `${error.message} Uploads of images are blocked until ${
      down ? "it runs" : "this is fixed"
    }.`;
    node.className = "status bad";
    node.dataset.state = error.code === "daemon_unverified" ? "unverified" : "down";
  }
}

async function showTab(tabId) {
  const key = `tab:${tabId}`;
  const state = tabId === null ? null : (await chrome.storage.session.get(key))[key];
  $("count").textContent = String(state ? state.count : 0);
  chrome.storage.session.onChanged.addListener((changes) => {
    if (changes[key] && changes[key].newValue) $("count").textContent = String(changes[key].newValue.count);
  });
  if (!state || !state.host) {
    $("no-site").hidden = false;
    return;
  }
  const host = state.host;
  const settings = await Settings.load();
  $("site-host").textContent = host;
  $("site-enabled").checked = !Settings.siteListed(settings.disabledSites, host);
  $("site-allow-originals").checked = Settings.siteListed(settings.allowOriginalSites, host);
  $("site-controls").hidden = false;
  $("site-enabled").addEventListener("change", (event) =>
    Settings.setSiteListed("disabledSites", host, !event.target.checked)
  );
  $("site-allow-originals").addEventListener("change", (event) =>
    Settings.setSiteListed("allowOriginalSites", host, event.target.checked)
  );
}

document.addEventListener("DOMContentLoaded", async () => {
  const settings = await Settings.load();
  await Promise.all([showDaemon(settings), targetTabId().then(showTab)]);
  document.body.dataset.ready = "true";
});
