// Runs in the page's own world at document_start, before any page script. Its one job: a file
// input that is not in the document (`document.createElement("input"); input.click()`) sends its
// events only to itself, so the content script's window listeners never see them. Before such an
// input opens its picker, it is attached for an instant and announced with an event the content
// script catches; the content script then listens on the input itself.
"use strict";

(() => {
  const proto = HTMLInputElement.prototype;
  const originalClick = proto.click;
  const originalShowPicker = proto.showPicker;

  function announce(input) {
    if (input.type !== "file" || input.isConnected || !document.documentElement) return;
    // The topmost element of the detached tree (crossing shadow roots), so the input keeps its place.
    let top = input;
    for (;;) {
      const parent = top.parentNode;
      if (!parent) break;
      if (parent instanceof ShadowRoot) top = parent.host;
      else if (parent instanceof Element) top = parent;
      else return; // inside a DocumentFragment: leave it alone
    }
    document.documentElement.appendChild(top);
    try {
      input.dispatchEvent(new CustomEvent("redactor:file-input", { bubbles: true, composed: true }));
    } finally {
      top.remove();
    }
  }

  proto.click = function click() {
    announce(this);
    return originalClick.call(this);
  };
  if (typeof originalShowPicker === "function") {
    proto.showPicker = function showPicker() {
      announce(this);
      return originalShowPicker.call(this);
    };
  }
})();
