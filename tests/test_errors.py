from __future__ import annotations

from redactor.errors import ModelError, first_line


def test_first_line_of_an_empty_message_is_the_type_name():
    # Several copies of this did str(error).splitlines()[0]: IndexError on an empty message.
    assert first_line(RuntimeError("")) == "RuntimeError"
    assert first_line(ModelError("\n \n")) == "ModelError"
    assert first_line("") == ""


def test_first_line_is_the_first_non_blank_line_cut_to_the_limit():
    assert first_line(ValueError("\n  bad size\nsecond line")) == "bad size"
    assert first_line("x" * 500) == "x" * 200
    assert first_line(ValueError("y" * 500), limit=10) == "y" * 10
    missing = FileNotFoundError(2, "No such file or directory", "/tmp/a")
    assert first_line(missing, strerror=True) == "No such file or directory"
    assert first_line(missing).startswith("[Errno 2] No such file or directory")
