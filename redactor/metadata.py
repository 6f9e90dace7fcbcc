"""What `--keep-metadata` keeps: the text metadata the user asked for, never a picture.

Without `keep_metadata` everything but the ICC profile (and the DPI) is dropped (imageio). With it,
EXIF (GPS included: the user's choice), XMP, IPTC, comments, PNG text chunks and TIFF tags are
written back, minus:
- the EXIF orientation (the pixels are already turned) and the file's structure tags;
- every embedded picture: EXIF thumbnails, MakerNotes (opaque vendor blobs holding preview JPEGs),
  sub-IFDs, Photoshop resources, XMP thumbnails, IPTC object previews, and any value that holds
  an image signature, raw or base64/hex encoded. These are unredacted copies of the photo;
- XMP face regions (MWG, Microsoft People): they name and locate the people whose faces were hidden.
"""

from __future__ import annotations

import base64
import binascii
import re
import struct
from typing import Any

from PIL import Image, PngImagePlugin, TiffImagePlugin

# Starts of the picture formats an embedded copy comes in.
_PICTURE_SIGNATURES = (
    b"\xff\xd8\xff",  # JPEG
    b"\x89PNG\r\n\x1a\n",
    b"GIF87a",
    b"GIF89a",
    b"II*\x00",  # TIFF (also what a MakerNote's own IFDs, holding previews, start with)
    b"MM\x00*",
    b"ftypheic",
    b"ftypheix",
    b"ftypmif1",
    b"ftypavif",
    b"WEBPVP8",
    b"\x00\x00\x00\x0cjP  ",  # JPEG 2000
    b"\xff\x4f\xff\x51",  # JPEG 2000 codestream
)
_BASE64_RUN = re.compile(rb"[A-Za-z0-9+/]{64,}={0,2}")
_HEX_RUN = re.compile(rb"[0-9a-fA-F]{128,}")
# XML line breaks inside base64 text (Lightroom writes `&#xA;` every 76 characters).
_XML_BREAKS = re.compile(rb"&#x[aAdD];|&#1[03];|\s+")

# EXIF/TIFF tags never written back: structure Pillow writes itself, the orientation, and the
# tags that hold pictures or pointers to them.
_STRUCTURE_TAGS = frozenset(
    {
        254, 255, 256, 257, 258, 259, 262, 263, 266, 273, 274, 277, 278, 279, 280, 281, 282,
        283, 284, 288, 289, 290, 291, 296, 301, 317, 318, 319, 320, 322, 323, 324, 325, 330,
        338, 339, 340, 341, 347, 530, 531, 532, 513, 514, 34665, 34853, 40965, 34675,
    }
)  # fmt: skip
_PICTURE_TAGS = frozenset(
    {
        0x927C,  # MakerNote: Nikon/Canon/Sony previews live here
        0x014A,  # SubIFDs: full-size and preview images (DNG, NEF)
        0x8649,  # Photoshop image resources: thumbnails
        0x935C,  # ImageSourceData: Photoshop layers, a full copy
        0xC634,  # DNGPrivateData: maker notes again
        0x0201,  # JPEGInterchangeFormat (thumbnail offset)
        0x0202,
        0x02BC,  # XMP: handled as XMP, scrubbed
        0x83BB,  # IPTC: handled as IPTC, scrubbed
        0x8773,  # ICC: kept separately, always
    }
)
_JPEG_MARKER_ROOM = 65_000
_EXIF_POINTERS = (0x8769, 0x8825)  # the Exif and GPS sub-IFDs
_IPTC_PREVIEWS = frozenset({200, 201, 202})  # record 2: ObjectPreview format, version, data
_XMP_DROPPED_NAMES = (
    rb"xmp:Thumbnails|xap:Thumbnails|xapGImg:image|xmpGImg:image|mwg-rs:Regions|MP:RegionInfo|"
    rb"MPRI:Regions"
)
# An element that closes itself, or one with its content up to its own end tag.
_XMP_DROPPED = re.compile(
    rb"<(%s)\b[^<>]*?/>|<(%s)\b[^<>]*>.*?</\2>" % (_XMP_DROPPED_NAMES, _XMP_DROPPED_NAMES),
    re.DOTALL,
)
_XML_ELEMENT_TEXT = re.compile(rb"<([\w:.-]+)((?:\s[^<>]*?)?)>([^<]*)</\1>")
_XML_ATTRIBUTE = re.compile(rb"\s[\w:.-]+\s*=\s*(\"[^\"]*\"|'[^']*')")


def holds_picture(value: Any) -> bool:
    """Whether a metadata value holds an image: raw, or base64/hex encoded (XMP thumbnails,
    ImageMagick's raw profiles)."""
    if isinstance(value, (tuple, list)):
        return any(holds_picture(v) for v in value)
    if isinstance(value, dict):
        return any(holds_picture(v) for v in value.values())
    if isinstance(value, str):
        value = value.encode("utf-8", "surrogatepass")
    if not isinstance(value, (bytes, bytearray)):
        return False
    data = bytes(value)
    if any(signature in data for signature in _PICTURE_SIGNATURES):
        return True
    if len(data) < 64:
        return False
    packed = _XML_BREAKS.sub(b"", data)
    for run in _BASE64_RUN.findall(packed):
        for shift in range(4):  # the run may start inside a neighbouring word
            body = run[shift:]
            body = body.rstrip(b"=")
            body = body[: len(body) // 4 * 4]
            try:
                decoded = base64.b64decode(body, validate=False)
            except (binascii.Error, ValueError):
                continue
            if any(signature in decoded for signature in _PICTURE_SIGNATURES):
                return True
    for run in _HEX_RUN.findall(packed):
        for shift in range(2):
            body = run[shift:]
            body = body[: len(body) // 2 * 2]
            if any(s in binascii.unhexlify(body) for s in _PICTURE_SIGNATURES):
                return True
    return False


def collect(source: Image.Image, fmt: str) -> dict:
    """The metadata of `source` (opened by Pillow, before any transform) that may be kept,
    already scrubbed of pictures."""
    meta: dict = {}
    info = source.info
    exif = _clean_exif(source.getexif()) if fmt != "TIFF" else None
    if exif is not None:
        meta["exif"] = exif
    xmp = info.get("xmp") or info.get("XML:com.adobe.xmp")
    if xmp:
        cleaned = clean_xmp(xmp.encode("utf-8") if isinstance(xmp, str) else bytes(xmp))
        if cleaned:
            meta["xmp"] = cleaned
    comment = info.get("comment")
    if comment and not holds_picture(comment):
        meta["comment"] = comment
    if fmt == "PNG":
        text = {
            key: value
            for key, value in info.items()
            if isinstance(value, str) and key not in ("XML:com.adobe.xmp", "xmp")
            and not holds_picture(value)
        }  # fmt: skip
        if text:
            meta["text"] = text
    if fmt == "JPEG":
        iptc = (info.get("photoshop") or {}).get(0x0404)
        iptc = clean_iptc(iptc) if iptc else None
        if iptc:
            meta["iptc"] = iptc
    if fmt == "TIFF":
        tags = _tiff_tags(source)
        if tags is not None:
            meta["tiff"] = tags
    return meta


def save_options(meta: dict, fmt: str) -> dict:
    """Pillow save options that write `meta` back in `fmt`."""
    options: dict = {}
    if "exif" in meta and fmt in ("JPEG", "PNG", "WEBP", "HEIF", "AVIF"):
        options["exif"] = meta["exif"].tobytes()
    if "xmp" in meta and fmt in ("JPEG", "WEBP", "HEIF", "AVIF"):
        options["xmp"] = meta["xmp"]
    if "comment" in meta and fmt in ("JPEG", "GIF"):
        options["comment"] = meta["comment"]
    if fmt == "PNG" and (meta.get("text") or "xmp" in meta):
        info = PngImagePlugin.PngInfo()
        for key, value in meta.get("text", {}).items():
            if isinstance(value, PngImagePlugin.iTXt):
                info.add_itxt(key, value, value.lang or "", value.tkey or "")
            else:
                info.add_text(key, value)
        if "xmp" in meta:
            info.add_itxt("XML:com.adobe.xmp", meta["xmp"].decode("utf-8", "replace"))
        options["pnginfo"] = info
    if fmt == "JPEG" and "iptc" in meta:
        iptc = meta["iptc"]
        resource = b"8BIM" + struct.pack(">H", 0x0404) + b"\0\0" + struct.pack(">I", len(iptc))
        payload = b"Photoshop 3.0\0" + resource + iptc + (b"\0" if len(iptc) % 2 else b"")
        if len(payload) + 2 <= 0xFFFF:
            options["extra"] = b"\xff\xed" + struct.pack(">H", len(payload) + 2) + payload
    if fmt == "TIFF" and "tiff" in meta:
        options["tiffinfo"] = meta["tiff"]
    if fmt == "JPEG":
        # One JPEG marker holds at most 64 KiB: what does not fit is left out, not the image.
        for key in ("exif", "xmp", "comment"):
            if key in options and len(options[key]) > _JPEG_MARKER_ROOM:
                del options[key]
    return options


def without_sub_ifds(
    tags: TiffImagePlugin.ImageFileDirectory_v2,
) -> TiffImagePlugin.ImageFileDirectory_v2:
    """The tags less the Exif and GPS sub-IFDs, which libtiff (every compressed TIFF) cannot
    write."""
    kept = TiffImagePlugin.ImageFileDirectory_v2()
    for tag, value in tags.items():
        if tag not in _EXIF_POINTERS:
            kept[tag] = value
            if tag in tags.tagtype:
                kept.tagtype[tag] = tags.tagtype[tag]
    return kept


def clean_xmp(xmp: bytes) -> bytes | None:
    """XMP without thumbnails, face regions or any value holding a picture; None when nothing
    trustworthy is left."""
    xmp = _XMP_DROPPED.sub(b"", xmp)
    xmp = _XML_ELEMENT_TEXT.sub(
        lambda m: m.group(0) if not holds_picture(m.group(3)) else b"<%s%s/>" % m.group(1, 2), xmp
    )
    xmp = _XML_ATTRIBUTE.sub(lambda m: b"" if holds_picture(m.group(1)) else m.group(0), xmp)
    if holds_picture(xmp):  # something the patterns above did not take apart: drop it all
        return None
    return xmp.strip(b"\0 ") or None


def clean_iptc(data: bytes) -> bytes | None:
    """IPTC-NAA datasets without object previews or values holding a picture."""
    kept: list[bytes] = []
    at = 0
    while at + 5 <= len(data) and data[at] == 0x1C:
        record, dataset = data[at + 1], data[at + 2]
        size = struct.unpack(">H", data[at + 3 : at + 5])[0]
        if size & 0x8000:  # extended length: not written by the text datasets we keep
            return b"".join(kept) or None
        value = data[at + 5 : at + 5 + size]
        if not (record == 2 and dataset in _IPTC_PREVIEWS) and not holds_picture(value):
            kept.append(data[at : at + 5 + size])
        at += 5 + size
    return b"".join(kept) or None


def _clean_exif(exif: Image.Exif) -> Image.Exif | None:
    clean = Image.Exif()
    for tag, value in exif.items():
        if tag in _STRUCTURE_TAGS or tag in _PICTURE_TAGS or holds_picture(value):
            continue
        clean[tag] = value
    for pointer in _EXIF_POINTERS:
        ifd = {
            tag: value
            for tag, value in exif.get_ifd(pointer).items()
            if tag not in _PICTURE_TAGS and tag != 40965 and not holds_picture(value)
        }
        if ifd:
            clean[pointer] = ifd
    return clean if len(clean) else None


def _tiff_tags(source: Image.Image) -> TiffImagePlugin.ImageFileDirectory_v2 | None:
    tags = getattr(source, "tag_v2", None)
    if tags is None:
        return None
    kept = TiffImagePlugin.ImageFileDirectory_v2()
    for tag, value in tags.items():
        if tag in _STRUCTURE_TAGS or tag in _PICTURE_TAGS - {0x02BC, 0x83BB}:
            continue
        if tag == 0x02BC:  # XMP
            value = clean_xmp(bytes(value))
        elif tag == 0x83BB:  # IPTC
            raw = value if isinstance(value, bytes) else bytes(value)
            value = clean_iptc(raw)
        if value is None or holds_picture(value):
            continue
        kept[tag] = value
        if tag in tags.tagtype:
            kept.tagtype[tag] = tags.tagtype[tag]
    exif = source.getexif()
    for pointer in _EXIF_POINTERS:  # written back by Pillow's own (uncompressed) TIFF writer
        ifd = {
            tag: value
            for tag, value in exif.get_ifd(pointer).items()
            if tag not in _PICTURE_TAGS and tag != 40965 and not holds_picture(value)
        }
        if ifd:
            kept[pointer] = ifd
    return kept if len(kept) else None
