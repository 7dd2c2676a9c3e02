"""Plain-text tables and the facts about the machine that every benchmark prints."""
from __future__ import annotations

import os
import platform
import statistics


def machine() -> str:
    return (f"{platform.python_implementation()} {platform.python_version()}, {platform.system()} "
            f"{platform.machine()}, {os.cpu_count()} cores")


def median_range(values: list[float]) -> str:
    """"412 (398-440)": median and the spread, in whole units."""
    return f"{statistics.median(values):.0f} ({min(values):.0f}-{max(values):.0f})"


def print_table(title: str, headers: list[str], rows: list[list[str]], notes: list[str] = ()) -> None:
    """First column left-aligned (names), the others right-aligned (figures)."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows)]

    def line(cells: list[str]) -> str:
        return "  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))

    print(f"\n{title}\n{'=' * len(title)}")
    print(line(headers))
    print(line(["-" * w for w in widths]))
    for row in rows:
        print(line(row))
    for note in notes:
        print(f"  * {note}")
