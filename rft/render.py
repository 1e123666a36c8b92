"""Rich tables shared by the `rft` commands."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from .scoring import histogram, stats

BAR_WIDTH = 30


def bar(count: int, largest: int, width: int = BAR_WIDTH) -> str:
    if largest <= 0 or count <= 0:
        return ""
    return "█" * max(1, round(width * count / largest))


def distribution_tables(scores: Sequence[float], *, title: str) -> list[Table]:
    summary = stats(scores)
    overview = Table(title=Text(title))
    for column in ("count", "mean", "min", "median", "max"):
        overview.add_column(column, justify="right")
    overview.add_row(
        str(summary.count),
        f"{summary.mean:.3f}",
        f"{summary.minimum:.3f}",
        f"{summary.median:.3f}",
        f"{summary.maximum:.3f}",
    )
    buckets = histogram(scores)
    largest = max(count for _, _, count in buckets)
    spread = Table(title="reward histogram")
    spread.add_column("reward", justify="left")
    spread.add_column("rows", justify="right")
    spread.add_column("", justify="left", no_wrap=True)
    for index, (low, high, count) in enumerate(buckets):
        closing = "]" if index == len(buckets) - 1 else ")"
        spread.add_row(f"[{low:.1f}, {high:.1f}{closing}", str(count), bar(count, largest))
    return [overview, spread]


def metrics_table(means: Mapping[str, tuple[str, float, int]], *, limit: int = 40) -> Table | None:
    if not means:
        return None
    table = Table(title="per-check means (metrics_list)")
    table.add_column("name")
    table.add_column("type")
    table.add_column("mean", justify="right")
    table.add_column("rows", justify="right")
    for name, (kind, mean, count) in list(means.items())[:limit]:
        table.add_row(Text(name), Text(kind), f"{mean:.3f}", str(count))
    return table


def progress_bar(console: Console) -> Progress:
    """The bar the grading commands show while items are graded (gone once done)."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )
