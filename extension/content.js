// Content script (every frame, document_start, the extension's isolated world).
//
// It catches images at the moment the page would receive them: a file input's input/change
// events, a drop, a paste. Its listeners sit on `window` in the capture phase and are registered
// before any page script runs, so they run first: they stop the event, empty the input (while a
// redaction is pending nothing can read the original), hand the image to the service worker
// (which asks the local daemon), then give the page the redacted file in its place, with the same
// name and type, and replay the events. If the image cannot be redacted, the page gets nothing
// and a small notice says why (fail closed), unless the user let originals through on this site.
// Image bytes live in memory only; nothing is stored or logged.
"use strict";

(() => {
  if (globalThis.__redactorContentScript) return; // injected once per frame
  globalThis.__redactorContentScript = true;

  const { toBase64, fromBase64 } = globalThis.RedactorBytes;

  // ---- what this site wants (asked from the service worker; until it answers: redact) ----

  let site = { enabled: true, allowOriginals: false, timeoutSeconds: 60 };

  function askSite(type) {
    sendToWorker({ type }).then(
      (reply) => {
        if (reply && typeof reply.enabled === "boolean") site = reply;
      },
      () => undefined
    );
  }
  askSite("hello");
  // Settings live where content scripts cannot read them (the token is there): the service
  // worker says when they change.
  chrome.runtime.onMessage.addListener((message, sender) => {
    if (sender.id === chrome.runtime.id && message && message.type === "settings-changed") {
      askSite("site");
    }
  });

  // ---- talking to the service worker ----

  class Blocked extends Error {
    constructor(code, message, allowOriginals = false) {
      super(message);
      this.code = code;
      this.allowOriginals = allowOriginals;
    }
  }

  const EXTENSION_GONE =
    "The Redactor extension was updated or reloaded: reload this page to upload images.";

  async function sendToWorker(message) {
    let reply;
    try {
      reply = await chrome.runtime.sendMessage(message);
    } catch {
      reply = undefined;
    }
    if (reply === undefined) {
      if (!chrome.runtime || !chrome.runtime.id) throw new Blocked("extension_error", EXTENSION_GONE);
      throw new Blocked("extension_error", "The extension's service worker did not answer.");
    }
    return reply;
  }

  function withTimeout(promise, seconds) {
    let timer;
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(
        () => reject(new Blocked("timeout", `No answer from the redaction daemon in ${seconds} s.`)),
        seconds * 1000
      );
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
  }

  // ---- which files are images ----

  const SIGNATURES = [
    ["image/jpeg", 0, [0xff, 0xd8, 0xff]],
    ["image/png", 0, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]],
    ["image/gif", 0, [0x47, 0x49, 0x46, 0x38]],
    ["image/webp", 8, [0x57, 0x45, 0x42, 0x50]], // "RIFF" .... "WEBP"
    ["image/bmp", 0, [0x42, 0x4d]],
    ["image/tiff", 0, [0x49, 0x49, 0x2a, 0x00]],
    ["image/tiff", 0, [0x4d, 0x4d, 0x00, 0x2a]],
    ["image/heic", 4, [0x66, 0x74, 0x79, 0x70, 0x68, 0x65, 0x69]], // "ftyphei"
    ["image/avif", 4, [0x66, 0x74, 0x79, 0x70, 0x61, 0x76, 0x69, 0x66]], // "ftypavif"
  ];

  const producedFiles = new WeakSet(); // files this script made: never redacted twice

  const declaredImage = (file) => /^image\//i.test(file.type);
  // The browser types files by their extension; a file without a known one is checked by content.
  const untyped = (file) => !file.type || file.type === "application/octet-stream";
  const mayBeImage = (file) => !producedFiles.has(file) && (declaredImage(file) || untyped(file));

  async function imageTypeOf(file) {
    if (producedFiles.has(file)) return null;
    if (declaredImage(file)) return file.type;
    if (!untyped(file)) return null;
    let head;
    try {
      head = new Uint8Array(await file.slice(0, 16).arrayBuffer());
    } catch {
      return null; // a folder entry or an unreadable file
    }
    for (const [type, offset, magic] of SIGNATURES) {
      if (magic.every((byte, i) => head[offset + i] === byte)) return type;
    }
    return null;
  }

  // ---- redaction: files in, files out (same order, names and types) ----

  // Runtime messages carry at most 64 MiB of JSON; base64 makes bytes 4/3 larger.
  const MAX_IMAGE_BYTES = 40 * 2 ** 20;
  // Images sent to the daemon at once from this frame (its queue answers 503 past a limit).
  const MAX_IN_FLIGHT = 3;
  let inFlight = 0;
  const waiting = [];

  async function fewAtATime(task) {
    while (inFlight >= MAX_IN_FLIGHT) await new Promise((resolve) => waiting.push(resolve));
    inFlight++;
    try {
      return await task();
    } finally {
      inFlight--;
      if (waiting.length) waiting.shift()();
    }
  }

  async function redactOne(file) {
    const contentType = await imageTypeOf(file);
    if (!contentType) return { file, redacted: false };
    if (file.size > MAX_IMAGE_BYTES) {
      throw new Blocked("too_large", "The image is over 40 MiB, more than the extension can pass on.");
    }
    return fewAtATime(() => redactBytes(file, contentType));
  }

  async function redactBytes(file, contentType) {
    const data = toBase64(new Uint8Array(await file.arrayBuffer()));
    const reply = await withTimeout(
      sendToWorker({ type: "redact", contentType, data }),
      site.timeoutSeconds + 15
    );
    if (reply.ok && reply.original) return { file, redacted: false }; // the site is switched off
    if (!reply.ok) throw new Blocked(reply.error, reply.message, reply.allowOriginals);
    const redacted = new File([fromBase64(reply.data)], file.name, {
      type: file.type,
      lastModified: file.lastModified,
    });
    producedFiles.add(redacted);
    return { file: redacted, redacted: true };
  }

  // Redacts `files` and calls `deliver(files)` with what the page may have. Resolves true when
  // something was delivered, false when the upload was blocked.
  async function redactAndDeliver(files, deliver) {
    const imageCount = files.filter(mayBeImage).length;
    Notice.show("pending", `Redacting ${plural(imageCount, "image")} before the page gets it…`);
    let results;
    try {
      results = await Promise.all(files.map(redactOne));
    } catch (error) {
      const blocked =
        error instanceof Blocked ? error : new Blocked("extension_error", "The extension failed.");
      // A daemon that cannot prove itself is an impostor, not an outage: never the original.
      const mayPass = blocked.code !== "daemon_unverified";
      if (mayPass && (blocked.allowOriginals || site.allowOriginals)) {
        deliver(files);
        Notice.show(
          "warning",
          `Sent without redaction (originals are allowed on this site): ${blocked.message}`
        );
        return true;
      }
      Notice.show(
        "error",
        `Upload blocked: the image could not be redacted. ${blocked.message} ` +
          "To let originals through on this site, use the Redactor toolbar button."
      );
      return false;
    }
    deliver(results.map((r) => r.file));
    const count = results.filter((r) => r.redacted).length;
    if (count) Notice.show("done", `${plural(count, "image")} redacted before upload.`);
    else Notice.hide();
    return true;
  }

  const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;

  // ---- events ----

  const handledEvents = new WeakSet(); // seen by a window or an element listener already
  const replayingForms = new WeakSet();

  function stop(event) {
    event.stopImmediatePropagation();
    event.stopPropagation();
  }

  function isFileInput(node) {
    return !!node && node.localName === "input" && node.type === "file";
  }

  function originOf(event) {
    return event.composedPath()[0] || event.target;
  }

  // Closed shadow roots hide their inside from composedPath(): look for the input that changed.
  function changedInputInside(host, depth = 0) {
    const root =
      typeof host.openOrClosedShadowRoot === "function" // Firefox
        ? host.openOrClosedShadowRoot()
        : chrome.dom && chrome.dom.openOrClosedShadowRoot && chrome.dom.openOrClosedShadowRoot(host);
    if (!root || depth > 8) return null;
    for (const input of root.querySelectorAll('input[type="file"]')) {
      if (Array.from(input.files || []).some(mayBeImage)) return input;
    }
    for (const element of root.querySelectorAll("*")) {
      const found = changedInputInside(element, depth + 1);
      if (found) return found;
    }
    return null;
  }

  function fileInputOf(event) {
    const origin = originOf(event);
    if (isFileInput(origin)) return origin;
    if (origin instanceof Element) return changedInputInside(origin);
    return null;
  }

  // -- file inputs --

  const guardedInputs = new WeakSet();
  const pendingInputs = new Map(); // input -> promise of the latest redaction for it
  const generations = new WeakMap(); // input -> number of the latest pick
  const lastOutcome = new WeakMap(); // input -> true (delivered) | false (blocked)

  // Listening on the input itself too: a detached input's events never reach window, and
  // "change" does not leave a shadow root.
  function guardInput(input) {
    if (guardedInputs.has(input)) return;
    guardedInputs.add(input);
    input.addEventListener("input", onFileEvent, true);
    input.addEventListener("change", onFileEvent, true);
  }

  function setInputFiles(input, files) {
    const transfer = new DataTransfer();
    for (const file of files) transfer.items.add(file);
    input.files = transfer.files;
  }

  function onFileEvent(event) {
    if (!event.isTrusted || handledEvents.has(event)) return;
    const input = fileInputOf(event);
    if (!input) return;
    handledEvents.add(event);
    guardInput(input);
    if (!site.enabled) return;
    const files = Array.from(input.files || []);
    if (!files.some(mayBeImage)) {
      // The "change" that follows an "input" we emptied: the page must not see it either.
      if (pendingInputs.has(input)) stop(event);
      else if (files.length) lastOutcome.delete(input); // a new pick replaces a blocked one
      return;
    }
    stop(event);
    input.value = ""; // from here on the input holds no file
    const generation = (generations.get(input) || 0) + 1;
    generations.set(input, generation);
    const job = redactAndDeliver(files, (delivered) => {
      if (generations.get(input) !== generation) return; // picked again meanwhile
      setInputFiles(input, delivered);
      input.dispatchEvent(new Event("input", { bubbles: true, composed: true }));
      input.dispatchEvent(new Event("change", { bubbles: true }));
    }).then((delivered) => {
      if (generations.get(input) === generation) {
        lastOutcome.set(input, delivered);
        pendingInputs.delete(input);
      }
      return delivered;
    });
    pendingInputs.set(input, job);
  }

  // -- forms submitted while a redaction is pending: held, then replayed --

  const heldForms = new Map(); // form -> {submitter}

  const pendingInputsOf = (form) => [...pendingInputs.keys()].filter((i) => i.form === form);

  function onSubmit(event) {
    const form = originOf(event);
    if (!form || form.localName !== "form" || replayingForms.has(form)) return;
    const blockedInputs = Array.from(form.elements).filter(
      (element) => isFileInput(element) && lastOutcome.get(element) === false
    );
    if (blockedInputs.length && !pendingInputsOf(form).length) {
      // The user chose an image that was blocked: sending the form now would silently leave it
      // out. Stop this once; a second submit sends the form without it.
      blockedInputs.forEach((input) => lastOutcome.delete(input));
      event.preventDefault();
      stop(event);
      Notice.show(
        "error",
        "The form was not sent: its image was blocked (see the previous notice). " +
          "Choose the image again, or submit again to send the form without it."
      );
      return;
    }
    if (!pendingInputsOf(form).length && !heldForms.has(form)) return;
    event.preventDefault();
    stop(event);
    const held = heldForms.get(form);
    if (held) held.submitter = event.submitter;
    else holdForm(form, event.submitter);
  }

  async function holdForm(form, submitter) {
    const held = { submitter };
    heldForms.set(form, held);
    for (let jobs = pendingInputsOf(form); jobs.length; jobs = pendingInputsOf(form)) {
      await Promise.all(jobs.map((input) => pendingInputs.get(input)));
    }
    heldForms.delete(form);
    const inputs = Array.from(form.elements).filter(isFileInput);
    if (!form.isConnected) return;
    if (inputs.some((input) => lastOutcome.get(input) === false)) {
      inputs.forEach((input) => lastOutcome.delete(input)); // the notice says why; a new submit sends
      return;
    }
    const { submitter: button } = held;
    replayingForms.add(form);
    try {
      if (button && button.isConnected && button.form === form) form.requestSubmit(button);
      else form.requestSubmit();
    } finally {
      replayingForms.delete(form);
    }
  }

  // -- drag and drop --

  function copyOtherData(transfer) {
    return transfer.types
      .filter((type) => type !== "Files")
      .map((type) => [type, transfer.getData(type)]);
  }

  function mouseInit(event) {
    const init = { bubbles: true, cancelable: true, composed: true, view: window };
    for (const key of ["clientX", "clientY", "screenX", "screenY", "button", "buttons"]) {
      init[key] = event[key];
    }
    for (const key of ["ctrlKey", "shiftKey", "altKey", "metaKey"]) init[key] = event[key];
    return init;
  }

  function hasFolder(transfer) {
    return Array.from(transfer.items || []).some((item) => {
      const entry = item.kind === "file" && item.webkitGetAsEntry && item.webkitGetAsEntry();
      return !!(entry && entry.isDirectory);
    });
  }

  function onDrop(event) {
    if (!event.isTrusted || !site.enabled || !event.dataTransfer) return;
    const target = originOf(event);
    if (isFileInput(target)) return; // the input's own input/change events are caught
    const transfer = event.dataTransfer;
    const files = Array.from(transfer.files);
    if (!files.some(mayBeImage)) return;
    event.preventDefault();
    stop(event);
    if (hasFolder(transfer)) {
      Notice.show("error", "Upload blocked: folders cannot be redacted. Drop the images themselves.");
      return;
    }
    const other = copyOtherData(transfer);
    const { dropEffect, effectAllowed } = transfer;
    const init = mouseInit(event);
    redactAndDeliver(files, (delivered) => {
      const out = new DataTransfer();
      for (const [type, value] of other) out.setData(type, value);
      for (const file of delivered) out.items.add(file);
      try {
        out.effectAllowed = effectAllowed;
        out.dropEffect = dropEffect;
      } catch {
        // read-only in some browsers: the defaults do
      }
      const drop = new DragEvent("drop", { ...init, dataTransfer: out });
      (target.isConnected ? target : document).dispatchEvent(drop);
    });
  }

  // -- paste --

  function isEditable(node) {
    if (!node) return false;
    if (node.isContentEditable) return true;
    if (node.localName === "textarea") return !node.readOnly && !node.disabled;
    if (node.localName === "input") {
      return /^(text|search|url|tel|email|password)$/.test(node.type) && !node.readOnly;
    }
    return false;
  }

  function onPaste(event) {
    if (!event.isTrusted || !site.enabled || !event.clipboardData) return;
    const clipboard = event.clipboardData;
    const files = Array.from(clipboard.files);
    if (!files.some(mayBeImage)) return;
    event.preventDefault();
    stop(event);
    const target = originOf(event);
    const other = copyOtherData(clipboard);
    redactAndDeliver(files, (delivered) => {
      const out = new DataTransfer();
      for (const [type, value] of other) out.setData(type, value);
      for (const file of delivered) out.items.add(file);
      const paste = new ClipboardEvent("paste", {
        bubbles: true,
        cancelable: true,
        composed: true,
        clipboardData: out,
      });
      const receiver = target.isConnected ? target : document;
      receiver.dispatchEvent(paste);
      // A synthetic paste has no default action: do what the browser would have done.
      if (!paste.defaultPrevented && isEditable(receiver)) insertPasted(receiver, other, delivered);
    });
  }

  function insertPasted(target, other, files) {
    target.focus();
    const text = other.find(([type]) => type === "text/plain");
    if (text && text[1]) document.execCommand("insertText", false, text[1]);
    if (!target.isContentEditable) return;
    for (const file of files) {
      if (!declaredImage(file)) continue;
      const reader = new FileReader();
      reader.onload = () => document.execCommand("insertImage", false, reader.result);
      reader.readAsDataURL(file);
    }
  }

  // -- inputs announced by page_hook.js (detached file inputs about to open their picker) --

  function onAnnounce(event) {
    stop(event);
    const input = originOf(event);
    if (isFileInput(input)) guardInput(input);
  }

  window.addEventListener("input", onFileEvent, true);
  window.addEventListener("change", onFileEvent, true);
  window.addEventListener("submit", onSubmit, true);
  window.addEventListener("drop", onDrop, true);
  window.addEventListener("paste", onPaste, true);
  window.addEventListener("redactor:file-input", onAnnounce, true);

  // ---- the notice: small, bottom right, in a closed shadow root the page cannot restyle ----

  const Notice = (() => {
    const COLORS = { pending: "#1f4e79", done: "#1e6b34", warning: "#8a5a00", error: "#a11d1d" };
    const LINGER_MS = { pending: 0, done: 4000, warning: 12000, error: 20000 };
    let host = null;
    let text = null;
    let timer = null;

    function build() {
      host = document.createElement("redactor-notice");
      host.style.cssText =
        "all: initial; position: fixed; z-index: 2147483647; right: 16px; bottom: 16px;";
      const root = host.attachShadow({ mode: "closed" });
      root.innerHTML = `
        <style>
          .box { font: 13px/1.4 system-ui, sans-serif; color: #fff; max-width: 360px;
                 padding: 10px 30px 10px 12px; border-radius: 8px; position: relative;
                 box-shadow: 0 2px 10px rgba(0,0,0,.3); }
          button { position: absolute; top: 4px; right: 6px; border: 0; background: none;
                   color: inherit; font-size: 16px; cursor: pointer; }
          b { display: block; margin-bottom: 2px; }
        </style>
        <div class="box" role="status" aria-live="polite">
          <b>Redactor</b><span class="text"></span>
          <button type="button" aria-label="Close">×</button>
        </div>`;
      text = root.querySelector(".text");
      root.querySelector("button").addEventListener("click", (event) => {
        if (event.isTrusted) hide();
      });
    }

    function show(kind, message) {
      if (!host) build();
      const box = text.parentElement;
      box.style.background = COLORS[kind];
      box.setAttribute("role", kind === "error" ? "alert" : "status");
      host.dataset.kind = kind;
      text.textContent = message;
      if (!host.isConnected) (document.documentElement || document).appendChild(host);
      clearTimeout(timer);
      if (LINGER_MS[kind]) timer = setTimeout(hide, LINGER_MS[kind]);
    }

    function hide() {
      clearTimeout(timer);
      if (host) host.remove();
    }

    return { show, hide };
  })();
})();
