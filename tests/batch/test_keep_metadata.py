"""Issue 12, point 6: `--keep-metadata` keeps the text metadata the user asked for (EXIF with
GPS, XMP, IPTC, comments, PNG text chunks, TIFF tags) and never an embedded picture: MakerNote
previews (Nikon style), XMP thumbnails (Lightroom style), IPTC previews, Photoshop thumbnails,
hex/base64 copies. Every picture found anywhere in the output's bytes is shown to the face
detector: it must find no face."""

from __future__ import annotations

import base64
import io
import re
import struct
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, IptcImagePlugin, PngImagePlugin, TiffImagePlugin

from redactor import imageio, metadata
from redactor.pipeline import RedactOptions
from tests.batch.conftest import encode_image

FACE_ONLY = RedactOptions(hide=("face",), keep_metadata=True)


@pytest.fixture(scope="module")
def photo(astronaut_upright) -> Image.Image:
    return Image.fromarray(astronaut_upright)


@pytest.fixture(scope="module")
def preview(photo) -> bytes:
    """A 256 x 256 JPEG copy of the unredacted photo, as cameras and editors embed."""
    return encode_image(photo.resize((256, 256)), "JPEG", quality=75)


@pytest.fixture(scope="module")
def thumbnail(photo) -> bytes:
    return encode_image(photo.resize((160, 160)), "JPEG", quality=70)


def _maker_note(preview: bytes) -> bytes:
    """Nikon style: "Nikon" header, its own TIFF header and IFD, the preview JPEG inside."""
    ifd = struct.pack(">H", 2)
    ifd += struct.pack(">HHII", 0x0201, 4, 1, 26)  # PreviewImageStart (offset in the note's TIFF)
    ifd += struct.pack(">HHII", 0x0202, 4, 1, len(preview))  # PreviewImageLength
    ifd += struct.pack(">I", 0)
    return b"Nikon\x00\x02\x11\x00\x00" + b"MM\x00*" + struct.pack(">I", 8) + ifd + preview


def _wrapped(data: bytes) -> str:
    """Base64 with Lightroom's `&#xA;` line breaks every 76 characters."""
    text = base64.b64encode(data).decode()
    return "&#xA;".join(text[i : i + 76] for i in range(0, len(text), 76))


def _xmp(thumbnail: bytes) -> bytes:
    return f"""<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/"
 xmlns:xmpGImg="http://ns.adobe.com/xap/1.0/g/img/" xmlns:dc="http://purl.org/dc/elements/1.1/"
 xmlns:mwg-rs="http://www.metadataworkinggroup.com/schemas/regions/"
 xmlns:crs="http://ns.adobe.com/camera-raw-settings/1.0/"
 xmlns:acme="http://example.com/acme/" acme:Preview="{base64.b64encode(thumbnail).decode()}">
<dc:title><rdf:Alt><rdf:li xml:lang="x-default">Holiday at the lake</rdf:li></rdf:Alt></dc:title>
<xmp:Thumbnails><rdf:Alt><rdf:li rdf:parseType="Resource">
<xmpGImg:width>160</xmpGImg:width><xmpGImg:format>JPEG</xmpGImg:format>
<xmpGImg:image>{_wrapped(thumbnail)}</xmpGImg:image>
</rdf:li></rdf:Alt></xmp:Thumbnails>
<crs:PreviewData>{_wrapped(thumbnail)}</crs:PreviewData>
<mwg-rs:Regions rdf:parseType="Resource"><mwg-rs:RegionList><rdf:Bag><rdf:li>
<rdf:Description mwg-rs:Name="Sam Sample" mwg-rs:Type="Face"/>
</rdf:li></rdf:Bag></mwg-rs:RegionList></mwg-rs:Regions>
</rdf:Description></rdf:RDF></x:xmpmeta>
<?xpacket end="w"?>""".encode()


def _iptc(preview: bytes | None) -> bytes:
    def dataset(record: int, number: int, value: bytes) -> bytes:
        return b"\x1c" + bytes([record, number]) + struct.pack(">H", len(value)) + value

    data = dataset(2, 120, b"Sample caption") + dataset(2, 80, b"Sample Photographer")
    if preview is not None:
        data += dataset(2, 200, b"\x00\x0b") + dataset(2, 202, preview)  # ObjectPreview (JPEG)
    return data


def _app13(iptc: bytes, thumbnail: bytes) -> bytes:
    """Photoshop's APP13: IPTC (0x0404) and a JPEG thumbnail resource (0x040C)."""

    def resource(number: int, body: bytes) -> bytes:
        padded = body + (b"\0" if len(body) % 2 else b"")
        return b"8BIM" + struct.pack(">H", number) + b"\0\0" + struct.pack(">I", len(body)) + padded

    payload = b"Photoshop 3.0\0" + resource(0x0404, iptc) + resource(0x040C, b"\0" * 28 + thumbnail)
    return b"\xff\xed" + struct.pack(">H", len(payload) + 2) + payload


def pictures_in(data: bytes) -> list[np.ndarray]:
    """Every picture that decodes from `data`: at each JPEG/PNG/TIFF signature, and inside every
    base64 or hex run (XML line breaks removed)."""
    found: list[np.ndarray] = []

    def scan(blob: bytes) -> None:
        for signature in (b"\xff\xd8\xff", b"\x89PNG", b"II*\x00", b"MM\x00*"):
            for match in re.finditer(re.escape(signature), blob):
                try:
                    with Image.open(io.BytesIO(blob[match.start() :])) as image:
                        found.append(np.asarray(image.convert("RGB")))
                except Exception:  # noqa: BLE001 - not a picture after all
                    continue

    scan(data)
    packed = re.sub(rb"&#x[aAdD];|\s+", b"", data)
    for run in re.findall(rb"[A-Za-z0-9+/]{64,}", packed):
        for shift in range(4):
            body = run[shift:]
            scan(base64.b64decode(body[: len(body) // 4 * 4]))
    for run in re.findall(rb"[0-9a-fA-F]{128,}", packed):
        for shift in range(2):
            body = run[shift:]
            scan(bytes.fromhex(body[: len(body) // 2 * 2].decode()))
    return found


def faces_in_pictures(face_detector, data: bytes) -> tuple[int, int]:
    """(pictures found, pictures in which the face detector finds a face)."""
    pictures = [p for p in pictures_in(data) if min(p.shape[:2]) >= 64]
    with_face = [p for p in pictures if face_detector.detect(p, None)]
    return len(pictures), len(with_face)


# -- JPEG: MakerNote preview, XMP thumbnails, IPTC preview, Photoshop thumbnail -----------------


@pytest.fixture(scope="module")
def camera_jpeg(photo, preview, thumbnail) -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "SampleCam"  # Make
    exif[0x013B] = "Sample Owner"  # Artist
    exif[0x8769] = {0x9003: "2024:05:01 10:00:00", 0x927C: _maker_note(preview)}
    exif[0x8825] = {1: "N", 2: (52.0, 31.0, 12.0), 3: "E", 4: (13.0, 24.0, 36.0)}
    data = encode_image(
        photo,
        "JPEG",
        quality=90,
        exif=exif.tobytes(),
        xmp=_xmp(thumbnail),
        comment=b"Sample Owner's holiday photo",
        extra=_app13(_iptc(preview), thumbnail),
    )
    return data


def test_the_camera_jpeg_really_carries_face_pictures(face_detector, camera_jpeg):
    count, with_face = faces_in_pictures(face_detector, camera_jpeg)
    # The photo, the MakerNote preview, the IPTC preview, Photoshop's thumbnail, and three XMP
    # thumbnails (element, attribute, camera-raw preview).
    assert count >= 7 and with_face >= 6


def test_keep_metadata_keeps_no_embedded_picture_of_a_jpeg(
    redactor, face_detector, camera_jpeg, tmp_path: Path
):
    src, dst = tmp_path / "DSC_0001.jpg", tmp_path / "out.jpg"
    src.write_bytes(camera_jpeg)
    report = redactor.redact_file(src, dst, FACE_ONLY)
    assert report.error is None and report.counts == {"face": 1}
    out = dst.read_bytes()
    count, with_face = faces_in_pictures(face_detector, out)
    assert count == 1 and with_face == 0  # the redacted photo itself, and nothing else
    assert out.count(b"\xff\xd8\xff") == 1 and b"/9j/" not in out
    assert b"Sam Sample" not in out  # the face region's name went with it

    # What the user asked to keep is kept.
    back = Image.open(dst)
    exif = back.getexif()
    assert exif.get(0x010F) == "SampleCam" and exif.get(0x013B) == "Sample Owner"
    assert exif.get_ifd(0x8769).get(0x9003) == "2024:05:01 10:00:00"
    assert 0x927C not in exif.get_ifd(0x8769)
    assert exif.get_ifd(0x8825).get(1) == "N"  # GPS: the user's choice
    assert b"Holiday at the lake" in back.info["xmp"]
    assert back.info.get("comment") == b"Sample Owner's holiday photo"
    iptc = IptcImagePlugin.getiptcinfo(back)
    assert iptc[(2, 120)] == b"Sample caption" and iptc[(2, 80)] == b"Sample Photographer"
    assert (2, 202) not in iptc


def test_without_keep_metadata_nothing_but_the_picture_is_left(redactor, camera_jpeg, tmp_path):
    src, dst = tmp_path / "in.jpg", tmp_path / "out.jpg"
    src.write_bytes(camera_jpeg)
    redactor.redact_file(src, dst, RedactOptions(hide=("face",)))
    out = dst.read_bytes()
    for secret in (b"SampleCam", b"Holiday", b"Sample caption", b"Photoshop", b"Nikon"):
        assert secret not in out


# -- PNG: text chunks and XMP kept; thumbnails in XMP and in hex raw profiles dropped -----------


def test_keep_metadata_keeps_png_text_chunks_and_xmp_without_pictures(
    redactor, face_detector, photo, thumbnail, tmp_path: Path
):
    raw_exif = Image.Exif()
    raw_exif[0x010F] = "SampleCam"
    raw_profile = "\nexif\n    %d\n%s\n" % (len(thumbnail), thumbnail.hex())  # ImageMagick style
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Sample Owner")
    info.add_text("Description", "Holiday at the lake", zip=True)
    info.add_itxt("Comment", "Fotó a tónál", lang="hu", tkey="Megjegyzés")
    info.add_text("Raw profile type exif", raw_profile)
    info.add_itxt("XML:com.adobe.xmp", _xmp(thumbnail).decode())
    src, dst = tmp_path / "shot.png", tmp_path / "out.png"
    src.write_bytes(encode_image(photo, "PNG", pnginfo=info, exif=raw_exif.tobytes()))
    assert faces_in_pictures(face_detector, src.read_bytes())[1] >= 4

    report = redactor.redact_file(src, dst, FACE_ONLY)
    assert report.error is None and report.counts == {"face": 1}
    out = dst.read_bytes()
    assert faces_in_pictures(face_detector, out) == (1, 0)
    back = Image.open(dst)
    assert back.info["Author"] == "Sample Owner"
    assert back.info["Description"] == "Holiday at the lake"
    assert back.info["Comment"] == "Fotó a tónál" and back.info["Comment"].lang == "hu"
    assert "Raw profile type exif" not in back.info  # it held a picture
    assert "Holiday at the lake" in back.info["XML:com.adobe.xmp"]
    assert back.getexif().get(0x010F) == "SampleCam"


# -- TIFF: every tag kept, minus pictures and structure ---------------------------------------


def test_keep_metadata_keeps_tiff_tags_without_pictures(
    redactor, face_detector, photo, preview, thumbnail, tmp_path: Path
):
    tags = TiffImagePlugin.ImageFileDirectory_v2()
    tags[270] = "Holiday at the lake"  # ImageDescription
    tags[305] = "SampleEdit 2.0"  # Software
    tags[306] = "2024:05:01 10:00:00"  # DateTime
    tags[315] = "Sample Owner"  # Artist
    tags[33432] = "(c) Sample Owner"  # Copyright
    tags[269] = "Lake album"  # DocumentName
    tags[65001] = "private tag text"  # a private tag
    tags[700] = _xmp(thumbnail)  # XMP with thumbnails
    tags.tagtype[700] = 1
    tags[33723] = _iptc(preview)  # IPTC with an object preview
    tags.tagtype[33723] = 7
    tags[34377] = _app13(b"", thumbnail)[18:]  # Photoshop resources with a thumbnail
    tags.tagtype[34377] = 7
    src, dst = tmp_path / "scan.tif", tmp_path / "out.tif"
    photo.save(src, format="TIFF", tiffinfo=tags, compression="tiff_lzw")
    assert faces_in_pictures(face_detector, src.read_bytes())[1] >= 5

    report = redactor.redact_file(src, dst, FACE_ONLY)
    assert report.error is None and report.counts == {"face": 1}
    out = dst.read_bytes()
    assert faces_in_pictures(face_detector, out) == (1, 0)
    back = Image.open(dst).tag_v2
    for tag in (270, 305, 306, 315, 33432, 269, 65001):
        assert back.get(tag) == tags[tag], tag
    assert b"Holiday at the lake" in bytes(back[700]) and b"xmpGImg:image" not in bytes(back[700])
    kept_iptc = bytes(back[33723])
    assert b"Sample caption" in kept_iptc and b"\xff\xd8" not in kept_iptc
    assert 34377 not in back


# -- the scrubber on its own --------------------------------------------------------------------


def test_holds_picture_sees_raw_base64_and_hex_copies(thumbnail):
    assert metadata.holds_picture(b"junk" + thumbnail)
    assert metadata.holds_picture("x" + base64.b64encode(thumbnail).decode())  # misaligned
    assert metadata.holds_picture(_wrapped(thumbnail))
    assert metadata.holds_picture("profile\n" + thumbnail.hex())
    assert not metadata.holds_picture("Holiday at the lake " * 20)
    assert not metadata.holds_picture("0123456789abcdef" * 20)  # hex, but not a picture


@pytest.mark.parametrize("fmt", ["WEBP", "HEIF", "AVIF"])
def test_keep_metadata_in_webp_heic_avif(photo, preview, thumbnail, face_detector, fmt):
    exif = Image.Exif()
    exif[0x010F] = "SampleCam"
    exif[0x8769] = {0x927C: _maker_note(preview)}
    data = encode_image(photo, fmt, exif=exif.tobytes(), xmp=_xmp(thumbnail))
    loaded = imageio.decode(data)
    out = imageio.encode(loaded, loaded.pixels, keep_metadata=True)
    assert b"SampleCam" in out and b"Holiday at the lake" in out
    pictures = [p for p in pictures_in(out) if min(p.shape[:2]) >= 64]
    assert not pictures  # only the (non-JPEG) photo itself, which the scanner does not open


def test_uncompressed_tiff_keeps_its_exif_and_gps_sub_ifds(photo, preview):
    exif = Image.Exif()
    exif[0x013B] = "Sample Owner"
    exif[0x8769] = {0x9003: "2024:05:01 10:00:00", 0x927C: _maker_note(preview)}
    exif[0x8825] = {1: "N", 2: (52.0, 31.0, 12.0)}
    data = encode_image(photo.resize((64, 64)), "TIFF", exif=exif.tobytes())
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(0x8825).get(1) == "N"
    loaded = imageio.decode(data)
    assert loaded.save_hints["compression"] == "raw"
    out = imageio.encode(loaded, loaded.pixels, keep_metadata=True)
    back = Image.open(io.BytesIO(out)).getexif()
    assert back.get(0x013B) == "Sample Owner"
    assert back.get_ifd(0x8769).get(0x9003) == "2024:05:01 10:00:00"
    assert 0x927C not in back.get_ifd(0x8769) and b"Nikon" not in out
    assert back.get_ifd(0x8825).get(1) == "N"


def test_metadata_too_big_for_a_jpeg_marker_is_left_out_not_the_image(photo):
    data = encode_image(photo.resize((64, 64)), "JPEG", comment=b"c" * 60_000)
    loaded = imageio.decode(data)
    loaded.metadata["xmp"] = b"<x:xmpmeta>" + b"x" * 70_000 + b"</x:xmpmeta>"
    out = imageio.encode(loaded, loaded.pixels, keep_metadata=True)
    back = Image.open(io.BytesIO(out))
    assert back.info.get("comment") == b"c" * 60_000 and "xmp" not in back.info
