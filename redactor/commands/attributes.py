"""`redact attributes`: every attribute, its aliases, and which detector finds it."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer


def command(
    model: Optional[Path] = typer.Option(
        None, "--model", help="Show what this PrivObfNet model covers."
    ),
    person: bool = typer.Option(False, "--person", help="Include the person detector."),
) -> None:
    """List every attribute: index, id, group, mask type, aliases, and which detector finds it."""
    from rich.console import Console
    from rich.table import Table

    from redactor import attributes
    from redactor.detectors import SPECS
    from redactor.detectors.model import NOT_HIDEABLE
    from redactor.pipeline import Redactor

    coverage = Redactor(model=model, person=person).coverage()
    default = attributes.resolve(attributes.DEFAULT_HIDE)
    table = Table(title="Attributes (* hidden by default)", show_lines=False)
    table.add_column("#", justify="right")
    table.add_column("id", no_wrap=True)
    for column in ("group", "mask", "aliases", "found by"):
        table.add_column(column)
    for attribute in attributes.ATTRIBUTES:
        found_by = coverage.get(attribute.id) or []
        if found_by:
            cover = ", ".join(found_by)
        elif attribute.id in NOT_HIDEABLE:
            cover = "[dim]not hideable (a finding)[/dim]"
        else:  # the option that loads a detector for it (the registry's), else none
            option = next(
                (s.option for s in SPECS if s.option and attribute.id in s.hint_for()), "-"
            )
            cover = f"[dim]{option}[/dim]"
        mark = "*" if attribute.id in default else ""
        table.add_row(
            str(attribute.index) if attribute.index >= 0 else "",
            attribute.id + mark,
            attribute.group,
            attribute.mask_type,
            ", ".join(attributes.aliases_of(attribute.id)),
            cover,
        )
    Console().print(table)
