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

  // The site this frame's settings come from is its own top-level page's. A subframe reads it from
  // its own location (Chromium); the service worker falls back to the tab's committed URL.
  function topOrigin() {
    if (window === window.top) return location.origin;
    const ancestors = location.ancestorOrigins;
    return ancestors && ancestors.length ? ancestors[ancestors.length - 1] : "";
  }
  const TOP_ORIGIN = topOrigin();

  function askSite(type) {
    sendToWorker({ type, topOrigin: TOP_ORIGIN }).then(
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

  // allowOriginals: the service worker's word for its own failures; undefined for the content
  // script's (then the site's setting decides).
  class Blocked extends Error {
    constructor(code, message, allowOriginals = undefined) {
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

  const ascii = (text) => Array.from(text, (c) => c.charCodeAt(0));
  // Every file is sniffed, text files included: signatures long enough that text does not match.
  const SIGNATURES = [
    ["image/jpeg", 0, [0xff, 0xd8, 0xff]],
    ["image/png", 0, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]],
    ["image/gif", 0, ascii("GIF87a")],
    ["image/gif", 0, ascii("GIF89a")],
    ["image/webp", 8, ascii("WEBP")], // "RIFF" .... "WEBP"
    ["image/tiff", 0, [0x49, 0x49, 0x2a, 0x00]],
    ["image/tiff", 0, [0x4d, 0x4d, 0x00, 0x2a]],
    ["image/heic", 4, ascii("ftyphei")], // heic, heix, heim, heis
    ["image/heic", 4, ascii("ftyphev")], // hevc, hevx
    ["image/heif", 4, ascii("ftypmif1")],
    ["image/heif", 4, ascii("ftypmsf1")],
    ["image/avif", 4, ascii("ftypavi")], // avif, avis
  ];
  const BMP_HEADER_SIZES = new Set([12, 40, 52, 56, 64, 108, 124]);
  const HEAD_BYTES = 32;

  const producedFiles = new WeakSet(); // files this script made: never redacted twice

  function signatureOf(head) {
    for (const [type, offset, magic] of SIGNATURES) {
      if (magic.every((byte, i) => head[offset + i] === byte)) return type;
    }
    // "BM", reserved zeros, then a known DIB header size (text may well start with "BM").
    const zero = (from, to) => head.slice(from, to).every((byte) => byte === 0);
    if (head[0] === 0x42 && head[1] === 0x4d && zero(6, 10) && BMP_HEADER_SIZES.has(head[14])) {
      if (zero(15, 18) && head.length >= 18) return "image/bmp";
    }
    return "";
  }

  // Whether a file is an image must be known inside the event that carries it (to stop it), and a
  // name says nothing (a JPEG named .txt): read its first bytes synchronously from a blob URL.
  // "" = not an image by its bytes; null = could not read them (then decided asynchronously).
  const sniffed = new WeakMap();
  function sniffNow(file) {
    if (sniffed.has(file)) return sniffed.get(file);
    let type = null;
    let url = "";
    try {
      url = URL.createObjectURL(file.slice(0, HEAD_BYTES));
      const request = new XMLHttpRequest();
      request.open("GET", url, false);
      request.overrideMimeType("text/plain; charset=x-user-defined");
      request.send();
      const text = request.responseText;
      if (request.status === 200 && text.length === Math.min(HEAD_BYTES, file.size)) {
        type = signatureOf(Array.from(text, (c) => c.charCodeAt(0) & 0xff));
      }
    } catch {
      type = null; // a folder entry, an unreadable file, or no synchronous requests here
    } finally {
      if (url) URL.revokeObjectURL(url);
    }
    sniffed.set(file, type);
    return type;
  }

  const declaredImage = (file) => /^image\//i.test(file.type);
  const mayBeImage = (file) =>
    !producedFiles.has(file) && (declaredImage(file) || sniffNow(file) !== "");

  // The image type to send, from the bytes; a declared image of unknown bytes is sent as declared
  // (the daemon refuses what it cannot read, and the upload is blocked).
  async function imageTypeOf(file) {
    if (producedFiles.has(file)) return null;
    let head;
    try {
      head = new Uint8Array(await file.slice(0, HEAD_BYTES).arrayBuffer());
    } catch {
      return null; // a folder entry or an unreadable file
    }
    return signatureOf(head) || (declaredImage(file) ? file.type : null);
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
    const contentType = file.size ? await imageTypeOf(file) : null; // empty: nothing to hide
    if (!contentType) return { file, redacted: false };
    if (file.size > MAX_IMAGE_BYTES) {
      throw new Blocked("too_large", "The image is over 40 MiB, more than the extension can pass on.");
    }
    return fewAtATime(() => redactBytes(file, contentType));
  }

  async function redactBytes(file, contentType) {
    const data = toBase64(new Uint8Array(await file.arrayBuffer()));
    const reply = await withTimeout(
      sendToWorker({ type: "redact", contentType, data, topOrigin: TOP_ORIGIN }),
      site.timeoutSeconds + 15
    );
    if (reply.ok && reply.original) return { file, redacted: false }; // the site is switched off
    if (!reply.ok) throw new Blocked(reply.error, reply.message, reply.allowOriginals);
    const type = /^image\//.test(reply.contentType || "") ? reply.contentType : contentType;
    // Labelled with the type the daemon answered (the bytes it sent), not the name's.
    const redacted = new File([fromBase64(reply.data)], file.name, {
      type,
      lastModified: file.lastModified,
    });
    producedFiles.add(redacted);
    return { file: redacted, redacted: true };
  }

  const asBlocked = (error) =>
    error instanceof Blocked ? error : new Blocked("extension_error", "The extension failed.");

  // Redacts `files` and calls (and awaits) `deliver(files)` with what the page may have. Resolves
  // true when something was delivered, false when the upload was blocked. Where originals are
  // allowed, only the files that could not be redacted go through unchanged.
  // Files from `optionalFrom` on (images inside pasted or dropped HTML) never block: one that
  // cannot be redacted is delivered as null, to be left out.
  async function redactAndDeliver(files, deliver, optionalFrom = files.length) {
    const imageCount = files.filter(mayBeImage).length;
    Notice.show("pending", `Redacting ${plural(imageCount, "image")} before the page gets it…`);
    const settled = await Promise.allSettled(files.map(redactOne));
    const failed = settled.map((s) => (s.status === "rejected" ? asBlocked(s.reason) : null));
    const failures = failed.filter((f, i) => f && i < optionalFrom);
    const leftOut = failed.filter((f, i) => f && i >= optionalFrom).length;
    const count = settled.filter((s) => s.status === "fulfilled" && s.value.redacted).length;
    // A daemon that cannot prove itself is an impostor, not an outage: never the original.
    const mayPass = (failure) =>
      failure.code !== "daemon_unverified" && (failure.allowOriginals ?? site.allowOriginals);
    if (failures.length && !failures.every(mayPass)) {
      Notice.show(
        "error",
        `Upload blocked: the image could not be redacted. ${failures[0].message} ` +
          "To let originals through on this site, use the Redactor toolbar button."
      );
      return false;
    }
    await deliver(
      settled.map((s, i) => {
        if (s.status === "fulfilled") return s.value.file;
        return i < optionalFrom ? files[i] : null;
      })
    );
    const done = count ? ` ${plural(count, "image")} redacted.` : "";
    const omitted = leftOut
      ? ` ${plural(leftOut, "embedded image")} left out: it could not be redacted.`
      : "";
    if (failures.length) {
      Notice.show(
        "warning",
        `Sent without redaction (originals are allowed on this site): ` +
          `${plural(failures.length, "image")}. ${failures[0].message}${done}${omitted}`
      );
    } else if (leftOut) Notice.show("warning", `${done}${omitted}`.trim());
    else if (count) Notice.show("done", `${plural(count, "image")} redacted before upload.`);
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

  function shadowRootOf(host) {
    return typeof host.openOrClosedShadowRoot === "function" // Firefox
      ? host.openOrClosedShadowRoot()
      : chrome.dom && chrome.dom.openOrClosedShadowRoot && chrome.dom.openOrClosedShadowRoot(host);
  }

  // Closed shadow roots hide their inside from composedPath(), so the input that changed cannot be
  // told from its neighbours: take every input inside that holds an image not yet redacted (or
  // is pending), never just the first one. `others` counts inputs holding other files that may
  // be the one that changed (not seen holding them before): then the event must go on.
  const seenFiles = new WeakMap(); // input -> the FileList it held when last looked at

  function changedInputsInside(host, found, depth = 0) {
    const root = shadowRootOf(host);
    if (!root || depth > 8) return found;
    for (const input of root.querySelectorAll('input[type="file"]')) {
      const files = input.files;
      if (pendingInputs.has(input) || Array.from(files || []).some(mayBeImage)) {
        found.inputs.push(input);
      } else if (files && files.length && seenFiles.get(input) !== files) {
        found.others++;
      }
      seenFiles.set(input, files);
    }
    for (const element of root.querySelectorAll("*")) {
      changedInputsInside(element, found, depth + 1);
    }
    return found;
  }

  function fileInputsOf(event) {
    const origin = originOf(event);
    if (isFileInput(origin)) return { inputs: [origin], others: 0 };
    if (origin instanceof Element) return changedInputsInside(origin, { inputs: [], others: 0 });
    return { inputs: [], others: 0 };
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

  function giveToInput(input, files) {
    setInputFiles(input, files);
    seenFiles.set(input, input.files);
    input.dispatchEvent(new Event("input", { bubbles: true, composed: true }));
    input.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function onFileEvent(event) {
    if (!event.isTrusted || handledEvents.has(event)) return;
    const { inputs, others } = fileInputsOf(event);
    if (!inputs.length) return;
    handledEvents.add(event);
    inputs.forEach(guardInput);
    if (!site.enabled) return;
    let held = false;
    for (const input of inputs) {
      const files = Array.from(input.files || []);
      if (files.some(mayBeImage)) {
        held = true;
        redactInput(input, files);
      } else if (pendingInputs.has(input)) {
        held = true; // the "change" that follows an "input" we emptied: the page must not see it
      } else if (files.length) {
        lastOutcome.delete(input); // a new pick replaces a blocked one
      }
    }
    if (held && !others) stop(event);
  }

  function redactInput(input, files) {
    input.value = ""; // from here on the input holds no file
    seenFiles.set(input, input.files);
    const generation = (generations.get(input) || 0) + 1;
    generations.set(input, generation);
    const job = redactAndDeliver(files, (delivered) => {
      if (generations.get(input) !== generation) return; // picked again meanwhile
      giveToInput(input, delivered);
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

  // -- images embedded in the text that comes with a drop or a paste --

  // A data: URL in pasted or dropped HTML (or any other text) is an image the page can read
  // without any file: each one is redacted, or replaced by an empty `data:,` when it cannot be.
  // Browsers draw an <img> by its bytes whatever the URL's type says, so every data: URL is
  // checked by its bytes.
  const DATA_URL = /data:[^,"'\s)<>]*,[^"'\s)<>]*/gi;

  function bytesOfDataUrl(url) {
    const comma = url.indexOf(",");
    const meta = url.slice(5, comma).toLowerCase();
    const payload = url.slice(comma + 1);
    try {
      if (/;base64$/.test(meta)) {
        return fromBase64(decodeURIComponent(payload).replace(/[^A-Za-z0-9+/]/g, ""));
      }
      const bytes = [];
      for (let i = 0; i < payload.length; i++) {
        if (payload[i] === "%" && /^[0-9a-f]{2}$/i.test(payload.slice(i + 1, i + 3))) {
          bytes.push(parseInt(payload.slice(i + 1, i + 3), 16));
          i += 2;
        } else bytes.push(payload.charCodeAt(i) & 0xff);
      }
      return new Uint8Array(bytes);
    } catch {
      return null;
    }
  }

  // [{url, file}] for the data: URLs in `other` ([[type, text]]) that hold or claim an image.
  function embeddedImages(other) {
    const found = new Map();
    for (const [, value] of other) {
      for (const url of value.match(DATA_URL) || []) {
        if (found.has(url)) continue;
        const declared = /^data:image\//i.test(url) ? url.slice(5).split(/[;,]/)[0] : "";
        const bytes = bytesOfDataUrl(url);
        const type = (bytes && signatureOf(bytes.subarray(0, HEAD_BYTES))) || declared;
        // Undecodable: an empty file, never sent, so emptied.
        if (type) found.set(url, new File([bytes || new Uint8Array()], "embedded-image", { type }));
      }
    }
    return [...found].map(([url, file]) => ({ url, file }));
  }

  const isRtfWithPicture = (type, value) =>
    /rtf/i.test(type) && /\\(pict|objdata|shppict|blipuid)/i.test(value);

  async function dataUrlOf(file) {
    return `data:${file.type};base64,${toBase64(new Uint8Array(await file.arrayBuffer()))}`;
  }

  // `other` with each embedded image replaced by its redacted copy (`results`, in the order of
  // `embedded`) or by an empty data: URL; RTF that carries pictures is left out.
  async function cleanedData(other, embedded, results) {
    const replacement = new Map();
    for (let i = 0; i < embedded.length; i++) {
      const file = results[i];
      replacement.set(embedded[i].url, producedFiles.has(file) ? await dataUrlOf(file) : "data:,");
    }
    return other
      .filter(([type, value]) => !isRtfWithPicture(type, value))
      .map(([type, value]) => [type, value.replace(DATA_URL, (u) => replacement.get(u) ?? u)]);
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

  // What a drop or a paste carries that needs redaction: its files and the images in its text.
  function transferContent(transfer) {
    const files = Array.from(transfer.files);
    const other = copyOtherData(transfer);
    const embedded = embeddedImages(other);
    const pictures = other.some(([type, value]) => isRtfWithPicture(type, value));
    const needed = files.some(mayBeImage) || embedded.length > 0 || pictures;
    return { files, other, embedded, needed };
  }

  // Redacts a drop's or a paste's content, then calls `replay(DataTransfer)`.
  function redactTransfer({ files, other, embedded }, replay) {
    const all = [...files, ...embedded.map((e) => e.file)];
    return redactAndDeliver(
      all,
      async (delivered) => {
        const out = new DataTransfer();
        const text = await cleanedData(other, embedded, delivered.slice(files.length));
        for (const [type, value] of text) out.setData(type, value);
        for (const file of delivered.slice(0, files.length)) out.items.add(file);
        replay(out, delivered.slice(0, files.length), text);
      },
      files.length
    );
  }

  // The element under the drop, looked up inside closed shadow roots that composedPath() hides.
  function dropTargetOf(event) {
    let node = originOf(event);
    for (let depth = 0; node instanceof Element && depth < 8; depth++) {
      const root = shadowRootOf(node);
      const inner = root && root.elementFromPoint(event.clientX, event.clientY);
      if (!inner || inner === node) break;
      node = inner;
    }
    return node;
  }

  function onDrop(event) {
    if (!event.isTrusted || !site.enabled || !event.dataTransfer) return;
    const transfer = event.dataTransfer;
    const content = transferContent(transfer);
    if (!content.needed) return;
    // Dropped on a file input too: the page's drop zone around it may read the drop itself.
    event.preventDefault();
    stop(event);
    if (hasFolder(transfer)) {
      Notice.show("error", "Upload blocked: folders cannot be redacted. Drop the images themselves.");
      return;
    }
    const target = dropTargetOf(event);
    const { dropEffect, effectAllowed } = transfer;
    const init = mouseInit(event);
    const job = redactTransfer(content, (out, files) => {
      try {
        out.effectAllowed = effectAllowed;
        out.dropEffect = dropEffect;
      } catch {
        // read-only in some browsers: the defaults do
      }
      const drop = new DragEvent("drop", { ...init, dataTransfer: out });
      (target.isConnected ? target : document).dispatchEvent(drop);
      // A synthetic drop has no default action: a file input takes the files as it would have.
      if (!drop.defaultPrevented && isFileInput(target) && target.isConnected && !target.disabled) {
        giveToInput(target, target.multiple ? files : files.slice(0, 1));
      }
    });
    // Dropped on a form's file input: a submit meanwhile waits for it, as for a pick.
    if (isFileInput(target)) {
      const held = job.then((delivered) => {
        if (pendingInputs.get(target) === held) {
          pendingInputs.delete(target);
          lastOutcome.set(target, delivered);
        }
        return delivered;
      });
      pendingInputs.set(target, held);
    }
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
    const content = transferContent(event.clipboardData);
    if (!content.needed) return;
    event.preventDefault();
    stop(event);
    const target = originOf(event);
    redactTransfer(content, (out, files, text) => {
      const paste = new ClipboardEvent("paste", {
        bubbles: true,
        cancelable: true,
        composed: true,
        clipboardData: out,
      });
      const receiver = target.isConnected ? target : document;
      receiver.dispatchEvent(paste);
      // A synthetic paste has no default action: do what the browser would have done.
      if (!paste.defaultPrevented && isEditable(receiver)) insertPasted(receiver, text, files);
    });
  }

  // Markup for insertHTML: no scripts, frames or event handlers (a browser's own paste drops them).
  function safeMarkup(html) {
    const doc = new DOMParser().parseFromString(html, "text/html");
    doc.querySelectorAll("script, iframe, frame, object, embed, meta, link, base, style")
      .forEach((node) => node.remove());
    for (const element of doc.body.querySelectorAll("*")) {
      for (const { name, value } of Array.from(element.attributes)) {
        if (/^on/i.test(name) || /^\s*javascript:/i.test(value)) element.removeAttribute(name);
      }
    }
    return doc.body.innerHTML;
  }

  function insertPasted(target, text, files) {
    target.focus();
    // HTML (its images redacted) unless files came too: then the redacted files themselves, as
    // the HTML may name the original image by its address.
    const html = text.find(([type]) => type === "text/html");
    if (html && html[1] && target.isContentEditable && !files.some(declaredImage)) {
      document.execCommand("insertHTML", false, safeMarkup(html[1]));
      return;
    }
    const plain = text.find(([type]) => type === "text/plain");
    if (plain && plain[1]) document.execCommand("insertText", false, plain[1]);
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
    const node = event.relatedTarget; // retargeted to its shadow host if it sits in a shadow tree
    if (isFileInput(node)) guardInput(node);
    else if (node instanceof Element) {
      const root = shadowRootOf(node);
      if (root) root.querySelectorAll('input[type="file"]').forEach(guardInput);
    }
  }

  // -- navigator.clipboard.read(), forwarded by page_hook.js: {id, entries: [[type, blob]]} --

  // Entries ([[type, blob]]) of one clipboard item, images redacted (resolves null: blocked).
  async function redactedEntries(entries) {
    const texts = entries.filter(([, blob]) => /^text\//.test(blob.type));
    const blobs = entries.filter(([, blob]) => !/^text\//.test(blob.type));
    const other = await Promise.all(texts.map(async ([type, blob]) => [type, await blob.text()]));
    const files = blobs.map(([type, blob]) => new File([blob], "clipboard", { type }));
    const content = { files, other, embedded: embeddedImages(other) };
    if (!site.enabled || !(files.some(mayBeImage) || content.embedded.length)) return entries;
    let result = null;
    await redactTransfer(content, (out, delivered, text) => {
      result = [
        ...blobs.map(([type], i) => [type, delivered[i].slice(0, delivered[i].size, type)]),
        ...text.map(([type, value]) => [type, new Blob([value], { type })]),
      ];
    });
    return result;
  }

  function onClipboardRead(event) {
    stop(event);
    const request = event.detail;
    if (!request || typeof request.id !== "number") return;
    event.preventDefault(); // taken
    // Firefox: the page's world may only read what is cloned into it.
    const toPage = (value) =>
      typeof cloneInto === "function" ? cloneInto(value, document.defaultView) : value;
    const answer = (detail) => {
      const answered = toPage({ id: request.id, ...detail });
      document.dispatchEvent(new CustomEvent("redactor:clipboard-redacted", { detail: answered }));
    };
    let reading;
    try {
      reading = navigator.clipboard.read(request.options || {}); // in this turn: the user's gesture
    } catch (error) {
      reading = Promise.reject(error);
    }
    reading
      .then(async (items) => {
        const out = [];
        for (const item of items) {
          const entries = [];
          for (const type of item.types) entries.push([type, await item.getType(type)]);
          const clean = await redactedEntries(entries);
          if (!clean) return answer({ error: "The clipboard image could not be redacted." });
          out.push({ entries: clean, presentationStyle: item.presentationStyle });
        }
        return answer({ items: out });
      })
      .catch((error) =>
        answer({
          error: (error && error.message) || "The clipboard could not be read.",
          name: (error && error.name) || "NotAllowedError",
        })
      );
  }

  window.addEventListener("input", onFileEvent, true);
  window.addEventListener("change", onFileEvent, true);
  window.addEventListener("submit", onSubmit, true);
  window.addEventListener("drop", onDrop, true);
  window.addEventListener("paste", onPaste, true);
  window.addEventListener("redactor:file-input", onAnnounce, true);
  window.addEventListener("redactor:clipboard-read", onClipboardRead, true);

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
