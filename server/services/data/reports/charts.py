"""The report's charts: matplotlib rendering SVG, readable in grey print.

Series differ by line style, marker and hatch as well as colour (a grey printer flattens
colours); every chart has labelled axes with units. Text goes through Noto Sans CJK, so
the Chinese report's labels render (DejaVu covers Latin when it is missing).
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import threading

import matplotlib

matplotlib.use("Agg")  # no display; must precede pyplot
import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

_LOCK = threading.Lock()  # pyplot's state is global: one figure at a time
_STYLES = ["-", "--", "-.", ":"]
_MARKERS = ["o", "s", "^", "D", "v", "x", "P", "*"]
_HATCHES = ["", "//", "xx", "..", "\\\\", "++", "--", "oo"]
_GREYS = ["#000000", "#555555", "#888888", "#333333", "#aaaaaa", "#222222", "#777777"]
matplotlib.rcParams.update({
    "font.family": ["Noto Sans CJK SC", "Noto Sans", "DejaVu Sans"],
    "font.size": 8,
    # Text stays text: WeasyPrint sets it with the same fonts as the page (Noto, CJK),
    # and the SVG stays small (outlined glyphs made PDF rendering several times slower).
    "svg.fonttype": "none",
    "axes.spines.top": False,
    "axes.spines.right": False,
})


def _svg(fig: Figure) -> str:
    out = io.StringIO()
    fig.savefig(out, format="svg", bbox_inches="tight")
    plt.close(fig)
    text = out.getvalue()
    return text[text.index("<svg"):]  # drop the XML prolog: the SVG is inlined in HTML


def _styles() -> itertools.cycle[tuple[str, str, str]]:
    return itertools.cycle(zip(itertools.cycle(_STYLES), _MARKERS * 4, _GREYS * 4, strict=False))


def lines(series: dict[str, list[tuple[dt.datetime, int]]], ylabel: str, xlabel: str,
          peaks: dict[str, tuple[dt.datetime, int]] | None = None, peak_label: str = "",
          steps: bool = False) -> str:
    """One line per series (at most 8); ``steps`` holds each value until the next point."""
    with _LOCK:
        fig, ax = plt.subplots(figsize=(7.0, 2.8))
        styles = _styles()
        for name, points in sorted(series.items())[:8]:
            style, marker, grey = next(styles)
            xs = [p[0] for p in points]
            # A marker every ~12th point tells the lines apart in grey without drawing
            # hundreds of symbols (each one an SVG element WeasyPrint must lay out).
            ax.plot(xs, [p[1] for p in points], linestyle=style, marker=marker, markersize=3,
                    markevery=max(1, len(points) // 12), color=grey, linewidth=1.2,
                    label=name, drawstyle="steps-post" if steps else "default")
            if peaks and name in peaks:
                at, value = peaks[name]
                ax.annotate(f"{peak_label} {value}", (at, value), xytext=(0, 8),
                            textcoords="offset points", ha="center", fontsize=7,
                            arrowprops={"arrowstyle": "-", "color": "#000000"})
                ax.plot([at], [value], marker="*", markersize=9, color="#000000")
        ax.set_ylabel(ylabel)
        ax.set_xlabel(xlabel)
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M", tz=_tz(series)))
        ax.set_ylim(bottom=0)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # people come whole
        ax.grid(axis="y", color="#dddddd", linewidth=0.5)
        if series:
            ax.legend(fontsize=6, frameon=False, ncol=2)
        return _svg(fig)


def _tz(series: dict[str, list[tuple[dt.datetime, int]]]) -> dt.tzinfo | None:
    for points in series.values():
        if points:
            return points[0][0].tzinfo
    return None


def bars(labels: list[str], values: list[float], ylabel: str, xlabel: str,
         second: list[float] | None = None, legend: tuple[str, str] = ("", "")) -> str:
    with _LOCK:
        fig, ax = plt.subplots(figsize=(7.0, 2.6))
        xs = list(range(len(labels)))
        width = 0.4 if second is not None else 0.7
        ax.bar([x - (width / 2 if second is not None else 0) for x in xs], values, width,
               color="#444444", edgecolor="#000000", hatch=_HATCHES[1], label=legend[0])
        if second is not None:
            ax.bar([x + width / 2 for x in xs], second, width, color="#dddddd",
                   edgecolor="#000000", hatch=_HATCHES[3], label=legend[1])
            ax.legend(fontsize=7, frameon=False)
        ax.set_xticks(xs, labels, rotation=30 if len(labels) > 5 else 0, ha="right" if len(labels) > 5 else "center")
        ax.set_ylabel(ylabel)
        ax.set_xlabel(xlabel)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(axis="y", color="#dddddd", linewidth=0.5)
        return _svg(fig)
