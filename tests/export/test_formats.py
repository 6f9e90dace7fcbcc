"""The table of export formats: each format takes its own options, and only those."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from redactor.exporters.export import export
from redactor.exporters.formats import (
    FORMATS,
    OPTION_FLAGS,
    ExportOptions,
    check_options,
    format_table,
    parse_batch,
)
from redactor.cli import app
from redactor.errors import UsageError

runner = CliRunner()

VALUES = {"opset": 18, "fp16": True, "int8": True, "calib": Path("."), "batch": (1, 4, 8)}


def options_with(*names: str) -> ExportOptions:
    values = {name: VALUES[name] for name in names}
    if "int8" in names and "calib" not in names:
        values["calib"] = VALUES["calib"]
    return ExportOptions(**values, given=frozenset(values))


def test_the_table() -> None:
    assert FORMATS["onnx"].options == ("opset",)
    assert set(FORMATS["tensorrt"].options) == {"opset", "fp16", "int8", "calib", "batch"}
    assert [row[:3] for row in format_table()] == [
        ("onnx", ".onnx", "--opset"),
        ("tensorrt", ".engine", "--opset --fp16 --int8 --calib --batch"),
    ]


@pytest.mark.parametrize(
    ("format_name", "option"),
    [
        (spec.name, option)
        for spec in FORMATS.values()
        for option in OPTION_FLAGS
        if option not in spec.options
    ],
)
def test_an_option_the_format_does_not_take_is_an_error(format_name: str, option: str) -> None:
    with pytest.raises(
        UsageError, match=f"{OPTION_FLAGS[option]}.* is not an option of --format {format_name}"
    ):
        check_options(format_name, options_with(option))


@pytest.mark.parametrize("format_name", list(FORMATS))
def test_every_option_the_format_takes_is_accepted(format_name: str) -> None:
    options = options_with(*FORMATS[format_name].options)
    assert check_options(format_name, options).name == format_name


def test_contradictions_and_ranges() -> None:
    with pytest.raises(UsageError, match="--int8 needs --calib"):
        check_options("tensorrt", ExportOptions(int8=True, given=frozenset({"int8"})))
    with pytest.raises(UsageError, match="--calib is only used with --int8"):
        check_options("tensorrt", ExportOptions(calib=Path("."), given=frozenset({"calib"})))
    with pytest.raises(UsageError, match="not a folder"):
        check_options(
            "tensorrt",
            ExportOptions(
                int8=True, calib=Path("/no/such/dir"), given=frozenset({"int8", "calib"})
            ),
        )
    with pytest.raises(UsageError, match="--opset must be 13..20"):
        check_options("onnx", ExportOptions(opset=9, given=frozenset({"opset"})))
    with pytest.raises(UsageError, match="unknown export format 'tflite'; valid: onnx, tensorrt"):
        check_options("tflite", ExportOptions())
    assert (
        ExportOptions(fp16=True).precision == "fp16"
        and ExportOptions(int8=True).precision == "int8"
    )


@pytest.mark.parametrize(("text", "expected"), [("1:8:32", (1, 8, 32)), ("4", (4, 4, 4))])
def test_parse_batch(text: str, expected: tuple[int, int, int]) -> None:
    assert parse_batch(text) == expected


@pytest.mark.parametrize("text", ["8:1:32", "0:1:2", "1:2", "a:b:c", ""])
def test_parse_batch_rejects(text: str) -> None:
    with pytest.raises(UsageError, match="MIN:OPT:MAX"):
        parse_batch(text)


def test_out_must_have_the_formats_suffix(tiny_checkpoint: Path, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"--out must end in \.onnx"):
        export(tiny_checkpoint, "onnx", tmp_path / "model.engine")
    with pytest.raises(UsageError, match=r"--out must end in \.engine"):
        export(tiny_checkpoint, "tensorrt", tmp_path / "model.onnx")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "args",
    [
        ["--fp16"],
        ["--batch", "1:8:32"],
        ["--int8", "--calib", "."],
    ],
)
def test_cli_rejects_options_onnx_does_not_take(
    tiny_checkpoint: Path, tmp_path: Path, args: list[str]
) -> None:
    out = tmp_path / "m.onnx"
    result = runner.invoke(
        app,
        [
            "export",
            "--checkpoint",
            str(tiny_checkpoint),
            "--format",
            "onnx",
            "--out",
            str(out),
            *args,
        ],
    )
    assert result.exit_code == 2
    assert "is not an option of --format onnx (it takes: --opset)" in result.output
    assert not out.exists()
