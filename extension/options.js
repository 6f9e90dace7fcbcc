// Options page: daemon address, token (the native host's, or pasted), what to hide and how,
// per-site lists.
"use strict";

const Settings = globalThis.RedactorSettings;
const Daemon = globalThis.RedactorDaemon;
const $ = (id) => document.getElementById(id);

let current = null; // the saved settings
let daemonInfo = null; // /v1/attributes of the daemon last reached

function say(id, text, kind = "") {
  const node = $(id);
  node.textContent = text;
  node.className = `status ${kind}`;
}

function formAddress() {
  return Settings.normalizeDaemonUrl($("daemon-url").value || Settings.DEFAULT_DAEMON_URL);
}

function formTimeout() {
  const seconds = Math.round(Number($("timeout").value));
  if (!Number.isFinite(seconds) || seconds < 5 || seconds > 600) {
    throw new Error("The time limit must be between 5 and 600 seconds.");
  }
  return seconds;
}

function draftSettings() {
  const daemonUrl = formAddress();
  // An address typed here is the user's choice; the one shown unchanged keeps following the
  // native host's.
  const daemonUrlChosen = current.daemonUrlChosen || daemonUrl !== current.daemonUrl;
  return {
    ...current,
    daemonUrl,
    daemonUrlChosen,
    token: $("token").value.trim(),
    timeoutSeconds: formTimeout(),
  };
}

// One checkbox per alias the daemon covers ("face", "name", ...), then covered attributes no
// alias names. Values are what the daemon's `hide` accepts.
function renderHideList() {
  const list = $("hide-list");
  list.replaceChildren();
  if (!daemonInfo) return;
  const byId = new Map(daemonInfo.attributes.map((a) => [a.id, a]));
  const named = new Set();
  const choices = [];
  for (const [alias, ids] of Object.entries(daemonInfo.aliases || {})) {
    ids.forEach((id) => named.add(id));
    const what = ids.map((id) => (byId.get(id) || { description: id }).description);
    choices.push({ value: alias, title: alias, detail: [...new Set(what)].join(", ") });
  }
  for (const attribute of daemonInfo.attributes) {
    if (!named.has(attribute.id)) {
      choices.push({ value: attribute.id, title: attribute.description, detail: attribute.group });
    }
  }
  const useDefaults = $("use-defaults").checked;
  const chosen = new Set(useDefaults ? daemonInfo.defaults : current.hide);
  for (const choice of choices) {
    const label = document.createElement("label");
    label.className = "check";
    label.title = choice.detail;
    const box = document.createElement("input");
    box.type = "checkbox";
    box.name = "hide";
    box.value = choice.value;
    box.checked = chosen.has(choice.value);
    box.disabled = useDefaults;
    const text = document.createElement("span");
    text.textContent = choice.title;
    const small = document.createElement("small");
    small.textContent = ` ${choice.detail}`;
    text.append(small);
    label.append(box, text);
    list.append(label);
  }
}

async function check() {
  let settings;
  try {
    settings = draftSettings();
  } catch (error) {
    say("daemon-status", error.message, "bad");
    return;
  }
  say("daemon-status", "Checking…");
  try {
    await ensureHostPermission(settings.daemonUrl);
    const health = await Daemon.health(settings);
    daemonInfo = await Daemon.attributes(settings);
    const state = health.ready ? "ready" : health.status;
    say("daemon-status", `Running: redactor ${health.version}, ${state}.`, "ok");
    const modes = new Set(daemonInfo.modes || []);
    for (const option of $("mode").options) option.disabled = !!option.value && !modes.has(option.value);
  } catch (error) {
    daemonInfo = null;
    say("daemon-status", error.message, "bad");
  }
  const stored = await Settings.load();
  if (!$("token").value && stored.token) $("token").value = stored.token; // from the native host
  current = { ...current, token: stored.token, nativeDaemonUrl: stored.nativeDaemonUrl };
  renderHideList();
}

async function save() {
  let changes;
  try {
    changes = draftSettings();
  } catch (error) {
    say("save-status", error.message, "bad");
    return;
  }
  if (!changes.daemonUrlChosen) changes.daemonUrl = ""; // follow the native host's address
  changes.mode = $("mode").value;
  changes.disabledSites = Settings.parseHostList($("disabled-sites").value);
  changes.allowOriginalSites = Settings.parseHostList($("allow-original-sites").value);
  if ($("use-defaults").checked) changes.hide = [];
  else if (daemonInfo) {
    changes.hide = [...document.querySelectorAll('input[name="hide"]:checked')].map((b) => b.value);
    if (!changes.hide.length) {
      say("save-status", "Choose at least one thing to hide, or the daemon's defaults.", "bad");
      return;
    }
  }
  await Settings.save(changes);
  current = await Settings.load();
  fill();
  say("save-status", "Saved.", "ok");
}

// A pasted token is kept only once the daemon has proved it holds the same one.
async function verifyToken() {
  let settings;
  try {
    settings = draftSettings();
  } catch (error) {
    say("token-status", error.message, "bad");
    return;
  }
  if (!settings.token) {
    say("token-status", "Paste the token first (`redact serve --show-token`).", "bad");
    return;
  }
  say("token-status", "Verifying…");
  try {
    await ensureHostPermission(settings.daemonUrl);
    await Daemon.prove(settings);
    const changes = { token: settings.token };
    if (settings.daemonUrlChosen) changes.daemonUrl = settings.daemonUrl;
    await Settings.save(changes);
    current = await Settings.load();
    say("token-status", `Verified: the daemon at ${settings.daemonUrl} holds this token.`, "ok");
  } catch (error) {
    say("token-status", error.message, "bad");
  }
}

function fill() {
  $("daemon-url").value = current.daemonUrl;
  $("token").value = current.token;
  $("use-defaults").checked = !current.hide.length;
  $("mode").value = current.mode;
  $("disabled-sites").value = current.disabledSites.join("\n");
  $("allow-original-sites").value = current.allowOriginalSites.join("\n");
  $("timeout").value = String(current.timeoutSeconds);
}

// Firefox grants host permissions only when the user agrees; Chromium at install. [::1] is
// asked for only when the user types it (an optional permission).
const DAEMON_ORIGINS = { origins: ["http://127.0.0.1/*"] };

async function ensureHostPermission(daemonUrl) {
  if (new URL(daemonUrl).hostname !== "[::1]") return;
  const ipv6 = { origins: ["http://[::1]/*"] };
  if (!(await chrome.permissions.contains(ipv6)) && !(await chrome.permissions.request(ipv6))) {
    throw new Error("The browser did not let the extension reach [::1].");
  }
}

async function showGrant() {
  const granted = await chrome.permissions.contains(DAEMON_ORIGINS);
  $("grant-row").hidden = granted;
  return granted;
}

document.addEventListener("DOMContentLoaded", async () => {
  $("grant").addEventListener("click", async () => {
    if (await chrome.permissions.request(DAEMON_ORIGINS)) await showGrant().then(check);
  });
  await showGrant();
  current = await Settings.load();
  fill();
  $("check").addEventListener("click", check);
  $("save").addEventListener("click", save);
  $("verify-token").addEventListener("click", verifyToken);
  $("use-defaults").addEventListener("change", () => {
    const useDefaults = $("use-defaults").checked;
    for (const box of document.querySelectorAll('input[name="hide"]')) {
      box.disabled = useDefaults;
      if (useDefaults && daemonInfo) box.checked = daemonInfo.defaults.includes(box.value);
    }
  });
  await check();
  document.body.dataset.ready = "true";
});
