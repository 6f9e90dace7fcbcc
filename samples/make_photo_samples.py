"""Make samples/astronaut.jpg: NASA's public-domain portrait of Eileen Collins (shipped with
scikit-image as skimage/data/astronaut.png), saved the way a phone would save it, with metadata
a redactor must strip: GPS position, camera make/model and body serial number, owner name, an
XMP packet, a JPEG comment, and orientation 6 (the pixels are stored turned; viewers turn them
upright). All of it is made up.

    python samples/make_photo_samples.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

HERE = Path(__file__).resolve().parent

ORIENTATION = 0x0112
EXIF_IFD, GPS_IFD = 0x8769, 0x8825
XMP = (
    b'<?xpacket begin="\xef\xbb\xbf" id="W5M0MpCehiHzreSzNTczkc9d"?>'
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/">'
    b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">'
    b"<dc:creator><rdf:Seq><rdf:li>Sample Owner (xmp)</rdf:li></rdf:Seq></dc:creator>"
    b"</rdf:Description></rdf:RDF></x:xmpmeta>"
    b'<?xpacket end="w"?>'
)


def photo_exif(orientation: int = 6) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "SampleCam"  # Make
    exif[0x0110] = "SampleCam X100"  # Model
    exif[0x013B] = "Sample Owner"  # Artist
    exif[ORIENTATION] = orientation
    details = exif.get_ifd(EXIF_IFD)
    details[0xA431] = "SN-0042-1337"  # BodySerialNumber
    details[0xA430] = "Sample Owner"  # CameraOwnerName
    details[0x9003] = "2024:05:17 10:42:00"  # DateTimeOriginal
    gps = exif.get_ifd(GPS_IFD)
    gps[1], gps[2] = "N", (48.0, 51.0, 29.6)  # latitude (Paris)
    gps[3], gps[4] = "E", (2.0, 17.0, 40.2)  # longitude
    return exif


def make_astronaut(path: Path = HERE / "astronaut.jpg") -> Path:
    from skimage import data

    upright = data.astronaut()  # 512 x 512 x 3 uint8 RGB
    # Orientation 6 = "turn 90 degrees clockwise to view": store them turned counter-clockwise.
    stored = np.ascontiguousarray(np.rot90(upright, k=1))
    Image.fromarray(stored).save(
        path,
        format="JPEG",
        quality=90,
        exif=photo_exif(6).tobytes(),
        xmp=XMP,
        comment=b"Sample Owner's holiday photo",
    )
    return path


if __name__ == "__main__":
    print(make_astronaut())
