"""`redact synth`: a synthetic privacy data set in VISPR's layout (the `train` extra)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer


def command(
    out: Path = typer.Option(
        ..., "--out", help="Empty folder for the data set (VISPR layout + masks/)."
    ),
    n: int = typer.Option(..., "--n", help="Number of images."),
    seed: int = typer.Option(0, "--seed", help="Random seed: the same seed makes the same set."),
    size: int = typer.Option(448, "--size", help="Image side in pixels (square images)."),
    split_ratio: str = typer.Option(
        "0.7,0.1,0.2", "--split-ratio", help="train,val,test fractions."
    ),
    workers: int = typer.Option(0, "--workers", help="Processes (0: one per CPU)."),
    masks: bool = typer.Option(
        False, "--masks", help="Then compute the human/text masks cache (`redact masks`)."
    ),
    real_content: bool = typer.Option(
        False,
        "--real-content",
        help="Real faces cut from real photos and more real photo backgrounds (docs/synthetic-data.md).",
    ),
    real_photos: Optional[Path] = typer.Option(
        None,
        "--real-photos",
        help="A folder of your photos of people: faces the face detector finds join the real faces (implies --real-content).",
    ),
    real_backgrounds: float = typer.Option(
        0.5,
        "--real-backgrounds",
        help="With real content: the share of backgrounds that are real photo crops (0-1).",
    ),
    portraits: float = typer.Option(
        0.0,
        "--portraits",
        help="With real content: the share of images that are close-ups of a real face (0-1).",
    ),
    harmless_pages: float = typer.Option(
        0.0,
        "--harmless-pages",
        help="The share of images that are pages of harmless printed prose, labelled safe (0-1).",
    ),
    text_weight: float = typer.Option(
        1.0,
        "--text-weight",
        help="Draw VISPR label sets with a text attribute (names, addresses, documents) this many times as often (1: VISPR's frequencies).",
    ),
    package_faces: bool = typer.Option(
        True,
        "--package-faces/--no-package-faces",
        help="With real content: use the packaged portraits' faces (leave them out when your validation set holds those portraits).",
    ),
) -> None:
    """Generate a synthetic privacy data set in VISPR's layout, with a mask per label.

    People, documents, screens and objects, with labels drawn from VISPR's label statistics.
    """
    from rich.console import Console

    from redactor.commands.masks import compute_masks
    from redactor.commands.progress import progress_bar
    from redactor.processes import cpu_threads
    from redactor.training.synth.dataset import SynthConfig, check_config, generate, parse_ratios

    console = Console(stderr=True)
    workers = workers or cpu_threads()  # one per CPU this process may use
    config = SynthConfig(
        out,
        n,
        seed,
        size,
        parse_ratios(split_ratio),
        workers,
        real_content=real_content,  # --real-photos and --portraits imply it (SynthConfig)
        real_photos=real_photos,
        real_backgrounds=real_backgrounds,
        package_faces=package_faces,
        text_weight=text_weight,
        portraits=portraits,
        harmless_pages=harmless_pages,
    )
    check_config(config)
    with progress_bar(console) as progress:
        task = progress.add_task("synth", total=n)
        summary = generate(config, lambda done, total: progress.update(task, completed=done))
    typer.echo(
        f"{n} images in {summary['seconds']} s -> {out} "
        f"(train {summary['splits']['train2017']}, val {summary['splits']['val2017']}, "
        f"test {summary['splits']['test2017']})"
    )
    if masks:
        compute_masks(out, None, "auto", workers, console)
