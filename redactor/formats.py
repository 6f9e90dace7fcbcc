"""The one image-format table: file endings, MIME types and the bytes a file starts with.

imageio (what is read and written, minus the codecs this install lacks), the batch planner (the
endings it picks up), the daemon (Content-Types it answers with and accepts, its cheap sniff
before decoding) and the export parity check all derive from it. Standard library only: the
daemon imports it at start-up without loading Pillow."""

from __future__ import annotations

from dataclasses import dataclass

# One way a file can start: (offset, bytes) pairs it must all hold.
Signature = tuple[tuple[int, bytes], ...]


def _at_start(*magics: bytes) -> tuple[Signature, ...]:
    return tuple(((0, magic),) for magic in magics)


def _iso_brands(*brands: bytes) -> tuple[Signature, ...]:
    """ISO base media files (HEIF, AVIF): an "ftyp" box first, then the major brand."""
    return tuple(((4, b"ftyp"), (8, brand)) for brand in brands)


@dataclass(frozen=True)
class FileFormat:
    suffixes: tuple[str, ...]  # the first one is what new files get
    mime: str  # what the daemon answers with
    signatures: tuple[Signature, ...]  # any one of them marks a file of this format
    aliases: tuple[str, ...] = ()  # other Content-Types clients send for it

    def matches(self, head: bytes) -> bool:
        return any(
            all(head[offset : offset + len(magic)] == magic for offset, magic in signature)
            for signature in self.signatures
        )


# Keys are Pillow's format names (what imageio.decode reports).
FORMATS: dict[str, FileFormat] = {
    "JPEG": FileFormat(
        (".jpg", ".jpeg", ".jpe"), "image/jpeg", _at_start(b"\xff\xd8\xff"),
        ("image/jpg", "image/pjpeg"),
    ),
    "PNG": FileFormat((".png",), "image/png", _at_start(b"\x89PNG\r\n\x1a\n"), ("image/x-png",)),
    "WEBP": FileFormat((".webp",), "image/webp", (((0, b"RIFF"), (8, b"WEBP")),)),
    "BMP": FileFormat((".bmp",), "image/bmp", _at_start(b"BM"), ("image/x-ms-bmp",)),
    "TIFF": FileFormat((".tif", ".tiff"), "image/tiff", _at_start(b"II*\x00", b"MM\x00*")),
    "GIF": FileFormat((".gif",), "image/gif", _at_start(b"GIF87a", b"GIF89a")),
    "HEIF": FileFormat(
        (".heic", ".heif", ".hif"), "image/heic",
        _iso_brands(b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"),
        ("image/heif",),
    ),
    "AVIF": FileFormat((".avif",), "image/avif", _iso_brands(b"avif", b"avis")),
}  # fmt: skip

HEAD_BYTES = max(offset + len(magic) for f in FORMATS.values()
                 for signature in f.signatures for offset, magic in signature)  # fmt: skip


def sniff(data: bytes) -> str | None:
    """The format `data` starts like (a key of FORMATS), or None. Cheap, and not proof: the
    decoder has the last word."""
    head = data[:HEAD_BYTES]
    return next((name for name, f in FORMATS.items() if f.matches(head)), None)


__all__ = ["FORMATS", "HEAD_BYTES", "FileFormat", "Signature", "sniff"]
