// Base64 for runtime messages (they carry JSON only). Bytes stay in memory: nothing here
// stores or logs them.
"use strict";

globalThis.RedactorBytes = (() => {
  const CHUNK = 0x8000;

  function toBase64(bytes) {
    const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
    if (typeof view.toBase64 === "function") return view.toBase64();
    let binary = "";
    for (let i = 0; i < view.length; i += CHUNK) {
      binary += String.fromCharCode.apply(null, view.subarray(i, i + CHUNK));
    }
    return btoa(binary);
  }

  function fromBase64(text) {
    if (typeof Uint8Array.fromBase64 === "function") return Uint8Array.fromBase64(text);
    const binary = atob(text);
    const view = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) view[i] = binary.charCodeAt(i);
    return view;
  }

  return { toBase64, fromBase64 };
})();
