// Runs in the page's own world at document_start, before any page script, in every frame. Three
// jobs, done in this frame's realm and in every same-origin frame's or window's realm the page
// can reach (a frame that is still loading has pristine prototypes the page could borrow):
//
// 1. A file input that is not in the document sends its events only to itself (and its detached
//    ancestors), so the content script's window listeners never see them. Whatever opens its
//    picker (click() from any realm, a click event dispatched on it or on a <label> around it,
//    showPicker()), the input is first announced to the content script, which then listens on
//    the input itself.
// 2. A drop or paste the content script replays is built by script, and Chromium gives such items
//    no file-system entry: webkitGetAsEntry() and getAsFileSystemHandle() answer with the item's
//    (redacted) file instead of nothing.
// 3. navigator.clipboard.read(): image blobs (and images inside text/html) go through the content
//    script's redaction before the page gets them.
"use strict";

(() => {
  const home = document; // where this frame's content script listens
  const dispatch = EventTarget.prototype.dispatchEvent;
  const addListener = EventTarget.prototype.addEventListener;
  const stopImmediate = Event.prototype.stopImmediatePropagation;
  const PageMouseEvent = MouseEvent;
  const PageCustomEvent = CustomEvent;
  const installed = new WeakSet(); // realms (by their Object.prototype) patched by this script

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
  // neither attached nor moved), dispatched on the input's own document. Attached inputs are
  // announced too: a page may remove one before the user has picked.
  function announceFor(node) {
    try {
      if (!node || node.nodeType !== 1) return;
      const input = fileInputFor(node);
      const doc = input && input.ownerDocument;
      if (!doc || !doc.defaultView) return; // no frame: no picker either
      dispatch.call(doc, new PageMouseEvent("redactor:file-input", { relatedTarget: input }));
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

  function hookPickers(win) {
    const elementProto = win.HTMLElement.prototype;
    const originalClick = elementProto.click;
    elementProto.click = function click() {
      announceFor(this);
      return originalClick.call(this);
    };
    const targetProto = win.EventTarget.prototype;
    const originalDispatch = targetProto.dispatchEvent;
    targetProto.dispatchEvent = function dispatchEvent(event) {
      if (eventType(event) === "click") announceFor(this);
      return originalDispatch.call(this, event);
    };
    const inputProto = win.HTMLInputElement.prototype;
    const originalShowPicker = inputProto.showPicker;
    if (typeof originalShowPicker === "function") {
      inputProto.showPicker = function showPicker() {
        announceFor(this);
        return originalShowPicker.call(this);
      };
    }
  }

  // ---- 2. entries and handles for files of script-built drops and pastes ----

  const define = (value) => ({ value, enumerable: true });

  function fileEntry(win, file) {
    const Entry = win.FileSystemFileEntry;
    return Object.create(Entry ? Entry.prototype : win.Object.prototype, {
      isFile: define(true),
      isDirectory: define(false),
      name: define(file.name),
      fullPath: define(`/${file.name}`),
      filesystem: define({ name: "redactor", root: null }),
      file: define((success) => setTimeout(() => success && success(file), 0)),
      getParent: define((success, failure) => setTimeout(() => failure && failure(), 0)),
    });
  }

  function fileHandle(win, file) {
    const Handle = win.FileSystemFileHandle;
    const handle = Object.create(Handle ? Handle.prototype : win.Object.prototype, {
      kind: define("file"),
      name: define(file.name),
      getFile: define(async () => file),
      isSameEntry: define(async (other) => other === handle),
    });
    return handle;
  }

  function hookItems(win) {
    const itemProto = win.DataTransferItem && win.DataTransferItem.prototype;
    if (!itemProto) return;
    const originalGetAsEntry = itemProto.webkitGetAsEntry;
    if (typeof originalGetAsEntry === "function") {
      itemProto.webkitGetAsEntry = function webkitGetAsEntry() {
        const entry = originalGetAsEntry.call(this);
        if (entry || this.kind !== "file") return entry;
        const file = this.getAsFile();
        return file ? fileEntry(win, file) : null;
      };
    }
    const originalGetHandle = itemProto.getAsFileSystemHandle;
    if (typeof originalGetHandle === "function") {
      itemProto.getAsFileSystemHandle = function getAsFileSystemHandle() {
        const file = this.kind === "file" ? this.getAsFile() : null; // during the event only
        const fallback = () => (file ? fileHandle(win, file) : null);
        let answer;
        try {
          answer = originalGetHandle.call(this);
        } catch {
          return win.Promise.resolve(fallback());
        }
        return answer.then((handle) => handle || fallback(), fallback);
      };
    }
  }

  // ---- 3. navigator.clipboard.read() ----

  // The content script reads the clipboard itself (the same permission and user activation as
  // the page's call) and answers with redacted items: a page that sends it requests of its own
  // gets nothing it could not read itself, and never has the daemon redact images it chose.
  const pending = new Map(); // request id -> {resolve, reject}
  let nextId = 0;

  // The answer: {id, items: [{entries: [[type, blob]], presentationStyle}]} or {id, error, name}.
  addListener.call(
    home,
    "redactor:clipboard-redacted",
    (event) => {
      stopImmediate.call(event);
      const answer = event.detail;
      const request = answer && pending.get(answer.id);
      if (!request) return;
      pending.delete(answer.id);
      if (!answer.error) request.resolve(answer.items);
      else request.reject(new DOMException(answer.error, answer.name || "NotAllowedError"));
    },
    true
  );

  function readRedacted(options) {
    return new Promise((resolve, reject) => {
      const id = ++nextId;
      pending.set(id, { resolve, reject });
      const unsanitized = options && options.unsanitized;
      const detail = { id, options: unsanitized ? { unsanitized: Array.from(unsanitized) } : {} };
      const event = new PageCustomEvent("redactor:clipboard-read", { detail, cancelable: true });
      // The content script takes it by cancelling it; without one nothing can be redacted.
      if (dispatch.call(home, event)) {
        pending.delete(id);
        reject(new DOMException("The Redactor extension is not active here.", "NotAllowedError"));
      }
    });
  }

  function hookClipboard(win) {
    const clipboardProto = win.Clipboard && win.Clipboard.prototype;
    if (!clipboardProto || typeof clipboardProto.read !== "function") return;
    const ItemType = win.ClipboardItem;
    clipboardProto.read = async function read(options) {
      const items = await readRedacted(options);
      return items.map(({ entries, presentationStyle }) => {
        const blobs = {};
        for (const [type, blob] of entries) blobs[type] = blob;
        return new ItemType(blobs, presentationStyle ? { presentationStyle } : undefined);
      });
    };
  }

  // ---- every realm the page can reach ----

  const foreign = new WeakSet(); // frames of another origin (asked once, not at every mutation)

  function install(win) {
    if (!win || foreign.has(win)) return;
    try {
      if (installed.has(win.Object.prototype)) return;
      installed.add(win.Object.prototype);
    } catch {
      foreign.add(win); // another origin: its own content scripts guard it; it cannot reach ours
      return;
    }
    hookPickers(win);
    hookItems(win);
    hookClipboard(win);
    hookFrames(win);
  }

  // A frame that is loading (src, srcdoc) has a window the page can reach before this script
  // runs in it: patch it when the page could first touch it (inserted, or asked for).
  function installFrames(win) {
    try {
      for (let i = 0; i < win.length; i++) install(win[i]);
    } catch {
      // a frame went away meanwhile
    }
  }

  function hookFrames(win) {
    for (const name of ["HTMLIFrameElement", "HTMLFrameElement", "HTMLObjectElement"]) {
      const proto = win[name] && win[name].prototype;
      for (const property of ["contentWindow", "contentDocument"]) {
        const descriptor = proto && Object.getOwnPropertyDescriptor(proto, property);
        if (!descriptor || !descriptor.get) continue;
        const get = descriptor.get;
        Object.defineProperty(proto, property, {
          ...descriptor,
          get() {
            const value = get.call(this);
            if (value) install(property === "contentWindow" ? value : value.defaultView);
            return value;
          },
        });
      }
    }
    const insertions = [
      [win.Node.prototype, ["appendChild", "insertBefore", "replaceChild"]],
      [win.Element.prototype, ["append", "prepend", "after", "before", "replaceWith"]],
      [win.Element.prototype, ["replaceChildren", "insertAdjacentElement", "insertAdjacentHTML"]],
      [win.Document.prototype, ["write", "writeln"]],
    ];
    for (const [proto, names] of insertions) {
      for (const name of names) {
        const original = proto[name];
        if (typeof original !== "function") continue;
        proto[name] = {
          [name](...args) {
            try {
              return original.apply(this, args);
            } finally {
              installFrames(win);
            }
          },
        }[name];
      }
    }
    for (const proto of [win.Element.prototype, win.ShadowRoot.prototype]) {
      for (const property of ["innerHTML", "outerHTML"]) {
        const descriptor = Object.getOwnPropertyDescriptor(proto, property);
        if (!descriptor || !descriptor.set) continue;
        const set = descriptor.set;
        Object.defineProperty(proto, property, {
          ...descriptor,
          set(value) {
            try {
              set.call(this, value);
            } finally {
              installFrames(win);
            }
          },
        });
      }
    }
    const originalOpen = win.open;
    if (typeof originalOpen === "function") {
      win.open = function open(...args) {
        const opened = originalOpen.apply(this, args);
        install(opened);
        return opened;
      };
    }
    // Frames the parser inserts: observed before the next script runs (a microtask checkpoint).
    new win.MutationObserver(() => installFrames(win)).observe(win.document, {
      childList: true,
      subtree: true,
    });
  }

  install(window);
})();
