"""The less common ways a page gets an image (issue 14, items 7-15), each against the real
extension in headless Chromium and the real daemon: what the upload site's server receives must
be redacted (the face detector finds no face), or blocked with a notice, never the original.

The scenarios add their widgets to the upload site's page with a script; the page's own helpers
`record(kind, event, files)` and `upload(kind, files)` (harness.PAGE_HTML) do the rest.
"""

from __future__ import annotations

import base64
import time
from pathlib import Path
from typing import Any

import pytest

from tests.extension import harness
from tests.extension.test_uploads import assert_face_hidden, assert_page_never_saw, wait_for_notice

pytestmark = pytest.mark.browser


def kinds(uploads: list[harness.Upload]) -> list[str]:
    return sorted(u.kind for u in uploads)


# ---- 7. a file input laid over a drop zone ------------------------------------------------------

OVERLAY_ZONES = """() => {
    // A zone that reads the drop itself, one that lets the input take it, and the latter inside
    // a closed shadow root.
    for (const [id, zoneReads] of [["reads", true], ["input", false], ["closed", false]]) {
        const zone = document.createElement("div");
        zone.id = `zone-${id}`;
        zone.style.cssText = "position: relative; width: 300px; height: 80px; margin: 4px;";
        const parent = id === "closed" ? zone.attachShadow({mode: "closed"}) : zone;
        const input = document.createElement("input");
        input.type = "file";
        input.id = `over-${id}`;
        input.style.cssText = "position: absolute; inset: 0; width: 100%; height: 100%;"
            + "opacity: 0;";
        parent.append(input);
        document.body.prepend(zone);
        input.addEventListener("change", e => {
            record(`input-${id}`, e, input.files);
            if (input.files.length) upload(`input-${id}`, input.files);
        });
        if (zoneReads) {
            zone.addEventListener("dragover", e => e.preventDefault());
            zone.addEventListener("drop", e => {
                e.preventDefault();
                record(`zone-${id}`, e, e.dataTransfer.files);
                upload(`zone-${id}`, e.dataTransfer.files);
            });
        }
    }
}"""


def test_drop_on_a_file_input_over_a_drop_zone(
    page: Any, site: harness.UploadSite, photo: Path
) -> None:
    original = photo.read_bytes()
    page.evaluate(OVERLAY_ZONES)
    harness.drop_files(page, "#over-reads", [photo])  # the zone's own drop handler reads it
    harness.drop_files(page, "#over-input", [photo])  # nobody handles the drop: the input takes it
    harness.drop_files(page, "#zone-closed", [photo])  # the same, the input in a closed root
    uploads = site.wait_for(3, timeout=20)
    assert kinds(uploads) == ["input-closed", "input-input", "zone-reads"]
    for upload in uploads:
        assert_face_hidden(upload.data, original)
    assert_page_never_saw(page, original)

    # Dropped on a form's file input and sent at once: the form waits for the redacted file.
    site.clear()
    harness.drop_files(page, "#form-file", [photo])
    page.click("#form-submit")
    [posted] = site.wait_for(1, timeout=20)
    assert (posted.route, posted.kind, posted.filename) == ("form", "button", photo.name)
    assert_face_hidden(posted.data, original)


# ---- 8. detached file inputs, however their picker is opened -------------------------------------

DETACHED_WAYS = """() => {
    function detachedInput(kind) {
        const input = document.createElement("input");
        input.type = "file";
        input.addEventListener("change", e => {
            record(kind, e, input.files);
            upload(kind, input.files);
        });
        return input;
    }
    const frame = document.createElement("iframe");  // a fresh realm with pristine prototypes
    frame.style.display = "none";
    document.body.append(frame);
    const ways = {
        "dispatch": () => detachedInput("dispatch").dispatchEvent(new MouseEvent("click")),
        "proto": () => HTMLElement.prototype.click.call(detachedInput("proto")),
        "label": () => {
            const label = document.createElement("label");
            label.append(detachedInput("label"));
            label.click();
        },
        "label-span": () => {
            const label = document.createElement("label");
            const span = document.createElement("span");
            label.append(span, detachedInput("label-span"));
            span.dispatchEvent(new MouseEvent("click", {bubbles: true}));
        },
        "iframe": () =>
            frame.contentWindow.HTMLElement.prototype.click.call(detachedInput("iframe")),
        "iframe-dispatch": () => frame.contentWindow.EventTarget.prototype.dispatchEvent.call(
            detachedInput("iframe-dispatch"), new frame.contentWindow.MouseEvent("click")),
        "iframe-event": () =>
            detachedInput("iframe-event").dispatchEvent(new frame.contentWindow.MouseEvent("click")),
        // Frames still loading (srcdoc, src) have realms the extension has not run in yet.
        "srcdoc": () => {
            const loading = document.createElement("iframe");
            loading.srcdoc = "<p>loading</p>";
            document.body.append(loading);
            loading.contentWindow.HTMLElement.prototype.click.call(detachedInput("srcdoc"));
        },
        "frames-index": () => {
            const loading = document.createElement("iframe");
            loading.src = "/";
            document.body.append(loading);
            const pristine = window[window.length - 1];
            pristine.HTMLElement.prototype.click.call(detachedInput("frames-index"));
        },
        "removed": () => {  // attached for the click, removed before the user picks
            const input = detachedInput("removed");
            document.body.append(input);
            input.click();
            input.remove();
        },
    };
    for (const [name, open] of Object.entries(ways)) {
        const button = document.createElement("button");
        button.id = `way-${name}`;
        button.textContent = name;
        button.addEventListener("click", open);
        document.body.prepend(button);
    }
    return Object.keys(ways);
}"""


def test_detached_inputs_opened_every_way(page: Any, site: harness.UploadSite, photo: Path) -> None:
    original = photo.read_bytes()
    ways = page.evaluate(DETACHED_WAYS)
    for way in ways:
        with page.expect_file_chooser() as chooser:
            page.click(f"#way-{way}")
        chooser.value.set_files(str(photo))
    uploads = site.wait_for(len(ways), timeout=30)
    assert kinds(uploads) == sorted(ways)
    for upload in uploads:
        assert_face_hidden(upload.data, original)
    assert_page_never_saw(page, original)


# ---- 9. a subframe's settings come from its own top-level site -----------------------------------


ADD_FRAME = """([id, url]) => new Promise(done => {
    const frame = document.createElement("iframe");
    frame.id = id;
    frame.onload = done;
    frame.src = url;
    document.body.prepend(frame);
})"""


def test_subframe_uses_its_own_top_site_not_a_stale_tab_value(
    page: Any, site: harness.UploadSite, photo: Path, worker: Any
) -> None:
    """After the service worker went idle, a subframe of the next page in the tab asked before
    that page's top frame had said where the tab now is: the per-tab store still named the page
    before (here: a host where the extension is off). That state is written directly, as the race
    leaves it: after one subframe started (its uploads ask again) and before another (its start
    asks)."""
    harness.configure(worker, disabledSites=["previous.example"])
    page.evaluate(ADD_FRAME, ["before", site.url])
    [tab_id] = worker.evaluate(
        "url => chrome.tabs.query({url}).then(t => t.map(x => x.id))", page.url
    )
    worker.evaluate(
        "id => chrome.storage.session.set({[`tab:${id}`]: {host: 'previous.example', count: 0}})",
        tab_id,
    )
    page.evaluate(ADD_FRAME, ["after", site.url])
    for frame in ("before", "after"):
        page.frame_locator(f"#{frame}").locator("#fetch-file").set_input_files(str(photo))
    uploads = site.wait_for(2, timeout=20)
    assert kinds(uploads) == ["input", "input"]
    for upload in uploads:
        assert_face_hidden(upload.data, photo.read_bytes())


# ---- 10. images embedded in pasted HTML ----------------------------------------------------------

HTML_PASTE_READER = """() => {
    // A rich-text editor's paste and drop handlers: they take the images out of the HTML.
    window.pastedHtml = [];
    async function uploadImagesOf(kind, html) {
        window.pastedHtml.push(html);
        const urls = [...html.matchAll(/src="(data:image[^"]*)"/g)].map(m => m[1]);
        for (const url of urls) {
            const blob = await (await fetch(url)).blob();
            upload(kind, [new File([blob], "embedded", {type: blob.type})]);
        }
    }
    document.addEventListener("paste", e => {
        const html = e.clipboardData.getData("text/html");
        if (html) uploadImagesOf("html", html);
    });
    document.getElementById("drop-zone").addEventListener("drop", e => {
        const html = e.dataTransfer.getData("text/html");
        if (html) uploadImagesOf("html-drop", html);
    });
}"""


def drop_html(page: Any, selector: str, html: str) -> None:
    """A trusted drop of HTML (as dragged from another page) onto `selector`."""
    box = page.locator(selector).bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    session = page.context.new_cdp_session(page)
    data = {"items": [{"mimeType": "text/html", "data": html}], "dragOperationsMask": 1}
    try:
        for kind in ("dragEnter", "dragOver", "drop"):
            session.send("Input.dispatchDragEvent", {"type": kind, "x": x, "y": y, "data": data})
    finally:
        session.detach()


def clipboard_write(page: Any, entries: dict[str, bytes | str]) -> None:
    page.context.grant_permissions(
        ["clipboard-read", "clipboard-write"], origin=harness.page_origin(page)
    )
    page.evaluate(
        """async entries => {
            const item = {};
            for (const [type, data] of Object.entries(entries)) {
                const body = typeof data === "string" ? data : new Uint8Array(data);
                item[type] = new Blob([body], {type});
            }
            await navigator.clipboard.write([new ClipboardItem(item)]);
        }""",
        {k: v if isinstance(v, str) else list(v) for k, v in entries.items()},
    )


def data_url(data: bytes, media_type: str) -> str:
    return f"data:{media_type};base64,{base64.b64encode(data).decode()}"


def test_images_inside_pasted_or_dropped_html_are_redacted(
    page: Any, site: harness.UploadSite, photo: Path
) -> None:
    original = photo.read_bytes()
    png = harness.to_png(original)
    page.evaluate(HTML_PASTE_READER)
    # HTML only, the photo inside as a data: URL, into the editable zone (nobody cancels the
    # paste: the extension inserts it as the browser would have).
    # Beside it a GIF cut off after its header, which the daemon cannot read: left out, the
    # paste goes on.
    gif = data_url(b"GIF89a\x01\x00\x01\x00\x80\x00\x00", "image/gif")
    html = f'<p>Look</p><img src="{data_url(original, "image/jpeg")}"><img src="{gif}">'
    clipboard_write(page, {"text/html": html})
    page.locator("#paste-zone").click()
    page.keyboard.press("Control+V")
    [upload] = site.wait_for(1, timeout=20)
    assert upload.kind == "html"
    assert_face_hidden(upload.data, original)
    inserted = page.evaluate("[...document.querySelectorAll('#paste-zone img')].map(i => i.src)")
    assert len(inserted) == 2 and "Look" in page.text_content("#paste-zone")
    header, _, payload = inserted[0].partition(",")
    assert header.endswith(";base64")
    assert_face_hidden(base64.b64decode(payload), original)
    assert inserted[1] == "data:,"  # emptied
    assert "1 embedded image left out" in wait_for_notice(page, "warning")

    # A file and HTML together: both the file and the HTML's copy of the image are redacted.
    site.clear()
    html = f'<img src="{data_url(png, "image/png")}">'
    clipboard_write(page, {"image/png": png, "text/html": html})
    page.locator("#paste-zone").click()
    page.keyboard.press("Control+V")
    uploads = site.wait_for(2, timeout=20)
    assert kinds(uploads) == ["html", "paste"]
    for upload in uploads:
        assert_face_hidden(upload.data, png)
    original_url = data_url(png, "image/png")
    assert not any(original_url in html for html in page.evaluate("window.pastedHtml"))

    # HTML dropped from another page, the image inside it.
    site.clear()
    drop_html(page, "#drop-zone", f'<img src="{data_url(original, "image/jpeg")}">')
    [dropped] = site.wait_for(1, timeout=20)
    assert dropped.kind == "html-drop"
    assert_face_hidden(dropped.data, original)


# ---- 11. navigator.clipboard.read() --------------------------------------------------------------


def test_clipboard_read_gives_the_redacted_image(
    page: Any, site: harness.UploadSite, photo: Path, daemon: harness.Daemon
) -> None:
    png = harness.to_png(photo.read_bytes())
    clipboard_write(page, {"image/png": png})
    types = page.evaluate(
        """async () => {
            const [item] = await navigator.clipboard.read();
            const blob = await item.getType("image/png");
            await upload("clipboard-read", [new File([blob], "clip.png", {type: blob.type})]);
            return item.types;
        }"""
    )
    assert types == ["image/png"]
    [upload] = site.wait_for(1, timeout=20)
    assert (upload.kind, upload.content_type) == ("clipboard-read", "image/png")
    assert_face_hidden(upload.data, png)

    # A page cannot use the bridge to have the daemon redact images of its choosing: the
    # extension reads the clipboard itself (now holding text only) and ignores what was sent.
    clipboard_write(page, {"text/plain": "just text"})
    before = len(daemon.access.lines)
    answer = page.evaluate(
        """bytes => new Promise((done, fail) => {
            setTimeout(() => fail(new Error("no answer")), 5000);
            window.addEventListener("redactor:clipboard-redacted", e => done(
                e.detail.items.map(item => item.entries.map(([type]) => type))), true);
            const blob = new Blob([new Uint8Array(bytes)], {type: "image/png"});
            document.dispatchEvent(new CustomEvent("redactor:clipboard-read", {cancelable: true,
                detail: {id: 7, options: {}, entries: [["image/png", blob]]}}));
        })""",
        list(png),
    )
    assert answer == [["text/plain"]]
    time.sleep(0.5)
    assert not [line for line in daemon.access.lines[before:] if "/v1/redact" in line]


# ---- 12. originals allowed: only the file that failed goes unchanged -----------------------------


def test_allowed_originals_pass_only_the_file_that_failed(
    page: Any, site: harness.UploadSite, photo: Path, worker: Any, tmp_path: Path
) -> None:
    harness.configure(worker, allowOriginalSites=["127.0.0.1"])
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0" + b"not really a jpeg" * 64)
    page.set_input_files("#fetch-file", [str(photo), str(broken)])
    redacted, unchanged = site.wait_for(2, timeout=20)
    assert (redacted.filename, unchanged.filename) == (photo.name, broken.name)  # order kept
    assert_face_hidden(redacted.data, photo.read_bytes())
    assert unchanged.data == broken.read_bytes()
    text = wait_for_notice(page, "warning")
    assert "Sent without redaction" in text and "1 image." in text and "1 image redacted" in text


# ---- 13. a closed shadow root with two inputs ----------------------------------------------------

CLOSED_WIDGET = """async () => {
    const host = document.createElement("closed-widget");
    document.body.prepend(host);
    const root = host.attachShadow({mode: "closed"});
    root.innerHTML = '<input type="file" id="first"><input type="file" id="second">';
    const [first, second] = root.querySelectorAll("input");
    // The first input already holds an image the page put there (a draft's avatar).
    async function setAvatar() {
        const canvas = document.createElement("canvas");
        canvas.width = canvas.height = 8;
        const blob = await new Promise(done => canvas.toBlob(done, "image/png"));
        const transfer = new DataTransfer();
        transfer.items.add(new File([blob], "avatar.png", {type: "image/png"}));
        first.files = transfer.files;
    }
    await setAvatar();
    second.addEventListener("input", e => record("closed-second-input", e, second.files));
    second.addEventListener("change", e => {
        record("closed-second", e, second.files);
        upload("closed-second", second.files);
    });
    window.closedInputs = {first, second, setAvatar};
}"""


def test_closed_shadow_root_redacts_the_input_that_changed(
    page: Any, site: harness.UploadSite, photo: Path, tmp_path: Path
) -> None:
    page.evaluate(CLOSED_WIDGET)
    second = page.evaluate_handle("window.closedInputs.second").as_element()
    second.set_input_files(str(photo))
    [upload] = site.wait_for(1, timeout=20)
    assert upload.kind == "closed-second"
    assert_face_hidden(upload.data, photo.read_bytes())

    # A text file picked beside a page-set image: the page still gets the pick, both events.
    site.clear()
    page.evaluate("window.closedInputs.setAvatar(); window.seen = []")
    notes = tmp_path / "notes.txt"
    notes.write_bytes(b"not an image\n" * 10)
    second.set_input_files(str(notes))
    [upload] = site.wait_for(1, timeout=20)
    assert (upload.kind, upload.filename) == ("closed-second", "notes.txt")
    assert upload.data == notes.read_bytes()
    seen = [(e["kind"], e["trusted"], [f["name"] for f in e["files"]])
            for e in page.evaluate("window.seen")]  # fmt: skip
    assert ("closed-second-input", True, ["notes.txt"]) in seen


# ---- 14. files are typed by their bytes ----------------------------------------------------------


def test_files_are_sniffed_and_labelled_with_the_answered_type(
    page: Any, site: harness.UploadSite, photo: Path, tmp_path: Path
) -> None:
    original = photo.read_bytes()
    disguised = tmp_path / "holiday.txt"  # a JPEG the browser types text/plain
    disguised.write_bytes(original)
    png = harness.to_png(original)
    misnamed = tmp_path / "portrait.jpg"  # a PNG the browser types image/jpeg
    misnamed.write_bytes(png)
    page.set_input_files("#fetch-file", [str(disguised), str(misnamed)])
    first, second = site.wait_for(2, timeout=20)
    assert (first.filename, first.content_type) == ("holiday.txt", "image/jpeg")
    assert_face_hidden(first.data, original)
    assert (second.filename, second.content_type) == ("portrait.jpg", "image/png")
    assert second.data.startswith(b"\x89PNG")
    assert_face_hidden(second.data, png)


def test_every_format_of_the_one_table_is_sniffed_by_the_extension(
    page: Any, site: harness.UploadSite, photo: Path, tmp_path: Path
) -> None:
    """The extension's own signature list (content.js) against redactor.formats: a real file of
    every format, named .txt, is recognised by its bytes, redacted, and labelled as the table
    says the daemon answers."""
    import io

    from PIL import Image

    from redactor import imageio

    pixels = Image.open(photo).convert("RGB")
    names, originals = [], {}
    for fmt, spec in imageio.FORMATS.items():
        buffer = io.BytesIO()
        pixels.save(buffer, format=fmt)
        path = tmp_path / f"{fmt.lower()}.txt"
        path.write_bytes(buffer.getvalue())
        names.append(str(path))
        originals[path.name] = (buffer.getvalue(), spec.mime)
    page.set_input_files("#fetch-file", names)
    uploads = site.wait_for(len(names), timeout=60)
    got = {upload.filename: upload for upload in uploads}
    assert sorted(got) == sorted(originals)
    for name, (original, mime) in originals.items():
        assert got[name].content_type == mime, name
        assert_face_hidden(got[name].data, original)


# ---- 15. every way a page reads a dropped file ---------------------------------------------------

ENTRY_READER = """() => {
    const zone = document.getElementById("drop-zone").cloneNode(true);  // without the old handler
    zone.id = "entry-zone";
    document.body.prepend(zone);
    zone.addEventListener("dragover", e => e.preventDefault());
    zone.addEventListener("drop", e => {
        e.preventDefault();
        const item = e.dataTransfer.items[0];
        const entry = item.webkitGetAsEntry();
        const handle = item.getAsFileSystemHandle ? item.getAsFileSystemHandle() : null;
        upload("getAsFile", [item.getAsFile()]);
        if (entry && entry.isFile) entry.file(file => upload("entry", [file]));
        else upload("no-entry", [new File(["x"], "none.txt")]);
        if (handle) handle.then(h => h ? h.getFile() : new File(["x"], "none.txt"))
                          .then(file => upload("handle", [file]));
    });
}"""


def test_a_drop_read_through_entries_and_handles_gets_the_redacted_file(
    page: Any, site: harness.UploadSite, photo: Path
) -> None:
    original = photo.read_bytes()
    page.evaluate(ENTRY_READER)
    harness.drop_files(page, "#entry-zone", [photo])
    uploads = site.wait_for(3, timeout=20)
    time.sleep(0.3)  # nothing more arrives
    assert kinds(site.wait_for(3, timeout=0)) == ["entry", "getAsFile", "handle"]
    for upload in uploads:
        assert upload.filename == photo.name
        assert_face_hidden(upload.data, original)
