"""Multipart uploads against the real daemon: malformed forms are 400 `bad_multipart` (never a
500), part counts are capped, and a form of many tiny parts is refused in a scan, not after
seconds of event-loop work."""

from __future__ import annotations

import time

from .test_limits import assert_json_error, still_serves

BOUNDARY = "b0undary"
FORM = f"multipart/form-data; boundary={BOUNDARY}"


def file_part(data: bytes, boundary: str = BOUNDARY) -> bytes:
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\n'
        "Content-Type: image/jpeg\r\n\r\n"
    )
    return head.encode() + data + b"\r\n"


def closing(boundary: str = BOUNDARY) -> bytes:
    return f"--{boundary}--\r\n".encode()


def test_a_well_formed_form_with_a_preamble_and_fields_is_read(server, images):
    body = (
        b"a short preamble\r\n"
        + f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="note"\r\n\r\nhi\r\n'.encode()
        + file_part(images.astronaut_jpeg)
        + closing()
        + b"an epilogue"
    )
    reply = server.redact(body, "?hide=face", FORM)
    assert reply.status == 200, reply.body[:300]
    assert reply.body[:2] == b"\xff\xd8"


def test_malformed_multipart_is_400_bad_multipart(server, images):
    jpeg = images.astronaut_jpeg
    cases = {
        "no boundary": (file_part(jpeg) + closing(), "multipart/form-data"),
        "boundary too long": (file_part(jpeg, "x" * 80) + closing("x" * 80),
                              "multipart/form-data; boundary=" + "x" * 80),
        "boundary with a bad character": (file_part(jpeg, "a<b") + closing("a<b"),
                                          'multipart/form-data; boundary="a<b"'),
        "wrong boundary": (file_part(jpeg, "other") + closing("other"), FORM),
        "no closing boundary": (file_part(jpeg), FORM),
        "cut inside the file": (file_part(jpeg)[:-5000], FORM),
        "too many part headers": (
            f"--{BOUNDARY}\r\n".encode()
            + b"".join(f"X-H{i}: v\r\n".encode() for i in range(40))
            + b'Content-Disposition: form-data; name="f"; filename="a.jpg"\r\n\r\n'
            + jpeg + b"\r\n" + closing(), FORM),
        "part headers never end": (
            f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.jpg\"\r\n"
            .encode() + b"X-Long: " + b"v" * 20_000 + b"\r\n" + closing(), FORM),
        "a header line without a colon": (
            f"--{BOUNDARY}\r\nthis is not a header\r\n\r\n".encode() + jpeg + b"\r\n" + closing(),
            FORM),
        "an over-long preamble line": (b"p" * 200_000 + b"\r\n" + file_part(jpeg) + closing(),
                                       FORM),
        "text after a boundary": (
            f"--{BOUNDARY} trailing junk\r\n".encode() + file_part(jpeg)[len(BOUNDARY) + 4:]
            + closing(), FORM),
    }  # fmt: skip
    for name, (body, content_type) in cases.items():
        reply = server.redact(body, "?hide=face", content_type)
        assert reply.status == 400, (name, reply.status, reply.body[:200])
        assert_json_error(reply, 400, "bad_multipart")
    still_serves(server, images)


def test_part_count_is_capped_and_refused_quickly(server, images):
    # ~2 MiB of empty parts (the test daemon's upload limit): about 130,000 of them.
    empty = f"--{BOUNDARY}\r\n\r\n\r\n".encode()
    body = empty * (2 * 2**20 // len(empty)) + closing()
    started = time.monotonic()
    reply = server.redact(body, "?hide=face", FORM)
    elapsed = time.monotonic() - started
    assert_json_error(reply, 413, "too_many_parts")
    assert elapsed < 3, elapsed
    # A handful of fields beside the file is fine.
    fields = b"".join(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="f{i}"\r\n\r\n{i}\r\n'.encode()
        for i in range(10)
    )
    reply = server.redact(fields + file_part(images.astronaut_jpeg) + closing(), "", FORM)
    assert reply.status == 200, reply.body[:200]
    still_serves(server, images)


def test_part_headers_count_against_the_body_limit(server, images):
    # Twelve fields with 7 KB of part headers each: header bytes are charged like content.
    fat = b"".join(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="f{i}"\r\n'.encode()
        + b"X-Pad: "
        + b"p" * 7000
        + b"\r\n\r\nv\r\n"
        for i in range(12)
    )
    jpeg = images.astronaut_jpeg
    big_file = jpeg + bytes(2 * 2**20 - 1000 - len(jpeg))  # under the 2 MiB limit by itself
    reply = server.redact(fat + file_part(big_file) + closing(), "", FORM)
    assert_json_error(reply, 413, "body_too_large")
    still_serves(server, images)
