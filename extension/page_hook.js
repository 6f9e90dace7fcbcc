// Runs in the page's own world at document_start, before any page script, in every frame (a
// fresh about:blank frame included, before its creator can reach into it). Three jobs:
//
// 1. A file input that is not in the document sends its events only to itself (and its detached
//    ancestors), so the content script's window listeners never see them. Whatever opens its
//    picker (input.click(), any realm's HTMLElement.prototype.click, a click event dispatched on
//    it or on a <label> around it, showPicker()), the input is first announced to the content
//    script, which then listens on the input itself.
// 2. A drop or paste the content script replays is built by script, and Chromium gives such items
//    no file-system entry: webkitGetAsEntry() and getAsFileSystemHandle() answer with the item's
//    (redacted) file instead of nothing.
// 3. navigator.clipboard.read(): image blobs (and images inside text/html) go through the content
//    script's redaction before the page gets them.
"use strict";

(() => {
  const dispatch = EventTarget.prototype.dispatchEvent;
  const addListener = EventTarget.prototype.addEventListener;
  const stopImmediate = Event.prototype.stopImmediatePropagation;
  const PageMouseEvent = MouseEvent;
  const PageCustomEvent = CustomEvent;

  // ---- 1. pickers of detached file inputs ----

  const isFileInput = (node) => !!node && node.localName === "input" && node.type === "file";

  // The file input a click on `node` opens: the node itself or the control of a label around it.
  function fileInputFor(node) {
    for (let n = node; n && n.nodeType === 1; ) {
      if (n.localName === "input") return isFileInput(n) ? n : null;
      if (n.localName === "label") return isFileInput(n.control) ? n.control : null;
      const parent = n.parentNode;
      n = parent && parent.nodeType === 11 && parent.host ? parent.host : parent;
    }
    return null;
  }

  // The input travels as the event's relatedTarget (a node crosses worlds that way; the input is
  // neither attached nor moved). Dispatched on the input's own document, whatever frame's copy of
  // this script runs. Attached inputs are announced too: a page may remove one before the user
  // has picked.
  function announce(input) {
    if (!input) return;
    const doc = input.ownerDocument;
    if (!doc || !doc.defaultView) return; // no frame: no picker either
    dispatch.call(doc, new PageMouseEvent("redactor:file-input", { relatedTarget: input }));
  }

  function announceFor(node) {
    try {
      if (!node || node.nodeType !== 1) return;
      announce(fileInputFor(node));
    } catch {
      // never in the page's way
    }
  }

  // The type of any realm's event (instanceof fails across realms; the getter's brand check not).
  const typeGetter = Object.getOwnPropertyDescriptor(Event.prototype, "type").get;
  function eventType(event) {
    try {
      return typeGetter.call(event);
    } catch {
      return "";
    }
  }

  const elementProto = HTMLElement.prototype;
  const originalClick = elementProto.click;
  elementProto.click = function click() {
    announceFor(this);
    return originalClick.call(this);
  };

  EventTarget.prototype.dispatchEvent = function dispatchEvent(event) {
    if (eventType(event) === "click") announceFor(this);
    return dispatch.call(this, event);
  };

  const inputProto = HTMLInputElement.prototype;
  const originalShowPicker = inputProto.showPicker;
  if (typeof originalShowPicker === "function") {
    inputProto.showPicker = function showPicker() {
      announceFor(this);
      return originalShowPicker.call(this);
    };
  }

  // ---- 2. entries and handles for files of script-built drops and pastes ----

  const define = (value) => ({ value, enumerable: true });

  function fileEntry(file) {
    const Entry = globalThis.FileSystemFileEntry;
    return Object.create(Entry ? Entry.prototype : Object.prototype, {
      isFile: define(true),
      isDirectory: define(false),
      name: define(file.name),
      fullPath: define(`/${file.name}`),
      filesystem: define({ name: "redactor", root: null }),
      file: define((success) => setTimeout(() => success && success(file), 0)),
      getParent: define((success, failure) => setTimeout(() => failure && failure(), 0)),
    });
  }

  function fileHandle(file) {
    const Handle = globalThis.FileSystemFileHandle;
    const handle = Object.create(Handle ? Handle.prototype : Object.prototype, {
      kind: define("file"),
      name: define(file.name),
      getFile: define(async () => file),
      isSameEntry: define(async (other) => other === handle),
    });
    return handle;
  }

  const itemProto = globalThis.DataTransferItem && DataTransferItem.prototype;
  if (itemProto && typeof itemProto.webkitGetAsEntry === "function") {
    const originalGetAsEntry = itemProto.webkitGetAsEntry;
    itemProto.webkitGetAsEntry = function webkitGetAsEntry() {
      const entry = originalGetAsEntry.call(this);
      if (entry || this.kind !== "file") return entry;
      const file = this.getAsFile();
      return file ? fileEntry(file) : null;
    };
  }
  if (itemProto && typeof itemProto.getAsFileSystemHandle === "function") {
    const originalGetHandle = itemProto.getAsFileSystemHandle;
    itemProto.getAsFileSystemHandle = function getAsFileSystemHandle() {
      const file = this.kind === "file" ? this.getAsFile() : null; // only readable during the event
      const fallback = () => (file ? fileHandle(file) : null);
      let answer;
      try {
        answer = originalGetHandle.call(this);
      } catch {
        return Promise.resolve(fallback());
      }
      return answer.then((handle) => handle || fallback(), fallback);
    };
  }

  // ---- 3. navigator.clipboard.read() ----

  const clipboardProto = globalThis.Clipboard && Clipboard.prototype;
  if (clipboardProto && typeof clipboardProto.read === "function") {
    const originalRead = clipboardProto.read;
    const PageClipboardItem = globalThis.ClipboardItem;
    const pending = new Map(); // request id -> {resolve, reject}
    let nextId = 0;

    // The content script's answer: {id, entries: [[type, blob]]} or {id, error}.
    addListener.call(
      document,
      "redactor:clipboard-redacted",
      (event) => {
        stopImmediate.call(event);
        const answer = event.detail;
        const request = answer && pending.get(answer.id);
        if (!request) return;
        pending.delete(answer.id);
        if (answer.error) request.reject(new DOMException(answer.error, "NotAllowedError"));
        else request.resolve(answer.entries);
      },
      true
    );

    function redacted(entries) {
      return new Promise((resolve, reject) => {
        const id = ++nextId;
        pending.set(id, { resolve, reject });
        const detail = { id, entries };
        const event = new PageCustomEvent("redactor:clipboard-read", { detail, cancelable: true });
        // The content script takes it by cancelling it; without one nothing can be redacted.
        if (dispatch.call(document, event)) {
          pending.delete(id);
          reject(new DOMException("The Redactor extension is not active here.", "NotAllowedError"));
        }
      });
    }

    clipboardProto.read = async function read(...args) {
      const items = await originalRead.apply(this, args);
      const out = [];
      for (const item of items) {
        const entries = [];
        for (const type of item.types) entries.push([type, await item.getType(type)]);
        const clean = await redacted(entries);
        const blobs = {};
        for (const [type, blob] of clean) blobs[type] = blob;
        out.push(new PageClipboardItem(blobs, { presentationStyle: item.presentationStyle }));
      }
      return out;
    };
  }
})();
