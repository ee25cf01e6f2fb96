"""Sparklines: a small line per measure (or per anything with a value by year), drawn all at once.

One matplotlib figure holds every line of a call, one horizontal strip each, drawn as a single
``LineCollection`` in pixel coordinates; the figure is rendered once and cut into one PNG per
strip. Drawing one figure per sparkline costs ~17 ms each (a 67-row scorecard: 1.1 s); this
costs ~3 ms each (0.21 s; ``scripts/bench_sparklines.py``, this 2-core machine under load). The
house palette (:data:`csdemand.present.charts.PALETTE`): the authority's line in vermillion, a
comparator (the neighbours' mean) in thin blue, marked years as dark dots, the latest year as a
vermillion dot. Each sparkline has alt text
saying what it shows in words, with every figure through :mod:`csdemand.core.numbers`.

Usage (any briefing)::

    from csdemand.present.sparklines import sparklines
    lines = pd.DataFrame({2016: [...], ..., 2025: [...]}, index=["LAC", "ReReferral"])
    out = sparklines(lines, reference=neighbours_wide, marks=flagged_wide, labels={...}, decimals={...})
    out["LAC"].img()  # '<img class="spark" src="data:image/png;base64,..." alt="...">'
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from csdemand.core import numbers
from csdemand.present.charts import PALETTE
from csdemand.present.html import esc

#: The ink of marked years (the house text colour).
MARK = "#1d1d1b"


@dataclass(frozen=True)
class Sparkline:
    """One sparkline: PNG bytes drawn at ``scale`` times its CSS size (``width`` x ``height``
    pixels), and its alt text."""

    key: str
    png: bytes
    alt: str
    width: int
    height: int

    def img(self, css: str = "spark") -> str:
        """The sparkline as an ``<img>`` (inlined: nothing fetched from another host)."""
        b64 = base64.b64encode(self.png).decode("ascii")
        return (
            f'<img class="{esc(css)}" src="data:image/png;base64,{b64}" width="{self.width}" '
            f'height="{self.height}" alt="{esc(self.alt)}">'
        )

    def _repr_html_(self) -> str:
        return self.img()


def _segments(x: np.ndarray, y: np.ndarray) -> list[np.ndarray]:
    """Runs of consecutive finite points as (n, 2) arrays: a missing year breaks the line."""
    ok = np.isfinite(y)
    out, start = [], None
    for i, good in enumerate(np.r_[ok, False]):
        if good and start is None:
            start = i
        elif not good and start is not None:
            out.append(np.column_stack([x[start:i], y[start:i]]))
            start = None
    return out


def _alt(label: str, series: pd.Series, ref: pd.Series | None, marked: list, show: Callable, show_ref: Callable) -> str:
    got = series.dropna()
    if got.empty:
        return f"Sparkline of {label}: no published figure in these years."
    first, last = int(got.index[0]), int(got.index[-1])
    text = f"Sparkline of {label}, {first} to {last}: from {show(got.iloc[0])} in {first} to {show(got.iloc[-1])}"
    text += f" in {last}"
    if ref is not None and np.isfinite(ref.get(last, np.nan)):
        text += f"; the neighbours' mean {show_ref(ref.get(last))} in {last}"
    if marked:
        text += "; beyond chance from the neighbours in " + ", ".join(str(y) for y in marked)
    return text + "."


def sparklines(
    lines: pd.DataFrame,
    *,
    reference: pd.DataFrame | None = None,
    marks: pd.DataFrame | None = None,
    labels: Mapping[str, str] | None = None,
    decimals: Mapping[str, int] | int = 1,
    formatter: Mapping[str, Callable[[float], str]] | None = None,
    reference_formatter: Mapping[str, Callable[[float], str]] | None = None,
    width: int = 84,
    height: int = 16,
    scale: int = 3,
    years: list[int] | None = None,
) -> dict[str, Sparkline]:
    """A sparkline for each row of ``lines`` (index: keys; columns: years; NaN where there is no
    figure), returned by key in the same order.

    ``reference``: a comparator line for the same keys and years (e.g. the neighbours' mean),
    drawn thin; ``marks``: True where a year is to be marked (e.g. beyond chance from the
    neighbours). Each line has its own vertical scale, from the lowest to the highest of its
    own and its comparator's values (a sparkline shows the shape, not the level: the level is in
    the table beside it). ``years``: the x axis (default: the columns of ``lines``); ``labels``
    and ``decimals`` (or ``formatter`` and ``reference_formatter``, functions per key for the
    line and its comparator) word the alt text. ``width`` and
    ``height`` are CSS pixels; the PNG has ``scale`` times as many, to stay sharp in print."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.collections import LineCollection
    from matplotlib.figure import Figure
    from matplotlib.image import imsave

    keys = [str(k) for k in lines.index]
    if not keys:
        return {}
    years = [int(y) for y in (years if years is not None else lines.columns)]
    lines = lines.set_axis(keys).reindex(columns=years).astype(float)
    ref = (
        reference.set_axis([str(k) for k in reference.index]).reindex(index=keys, columns=years).astype(float)
        if (reference is not None)
        else None
    )
    mk = (
        marks.set_axis([str(k) for k in marks.index]).reindex(index=keys, columns=years).fillna(False).astype(bool)
        if marks is not None
        else None
    )
    w, h = width * scale, height * scale
    n = len(keys)
    fig = Figure(figsize=(w / 100, n * h / 100), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, w)
    ax.set_ylim(n * h, 0)  # row 0 at the top
    ax.axis("off")
    pad_x, pad_y = 3.0 * scale, 2.5 * scale
    x = pad_x + (np.arange(len(years)) * (w - 2 * pad_x) / max(1, len(years) - 1))
    la_segments, ref_segments, dots, marked_dots = [], [], [], []
    for i, key in enumerate(keys):
        y = lines.loc[key].to_numpy(float)
        r = ref.loc[key].to_numpy(float) if ref is not None else np.full(len(years), np.nan)
        both = np.r_[y, r]
        both = both[np.isfinite(both)]
        if both.size == 0:
            continue
        lo, hi = float(both.min()), float(both.max())
        if hi - lo < 1e-9:
            lo, hi = lo - 1.0, hi + 1.0
        top, bottom = i * h + pad_y, (i + 1) * h - pad_y

        def to_px(v: np.ndarray, lo=lo, hi=hi, top=top, bottom=bottom) -> np.ndarray:
            return bottom - (v - lo) / (hi - lo) * (bottom - top)

        la_segments += _segments(x, to_px(y))
        ref_segments += _segments(x, to_px(r))
        ok = np.flatnonzero(np.isfinite(y))
        if ok.size:
            dots.append((x[ok[-1]], to_px(y[ok[-1:]])[0]))
        if mk is not None:
            for j in np.flatnonzero(mk.loc[key].to_numpy() & np.isfinite(y)):
                marked_dots.append((x[j], to_px(y[j : j + 1])[0]))
    if ref_segments:
        ax.add_collection(LineCollection(ref_segments, colors=PALETTE["neighbours"], linewidths=0.9 * scale * 0.5))
    if la_segments:
        ax.add_collection(LineCollection(la_segments, colors=PALETTE["la"], linewidths=1.4 * scale * 0.5))
    if marked_dots:
        m = np.array(marked_dots)
        ax.scatter(m[:, 0], m[:, 1], s=(2.2 * scale) ** 2, color=MARK, zorder=3, linewidths=0)
    if dots:
        d = np.array(dots)
        ax.scatter(d[:, 0], d[:, 1], s=(1.8 * scale) ** 2, color=PALETTE["la"], zorder=4, linewidths=0)
    fig.canvas.draw()
    rgba = np.asarray(fig.canvas.buffer_rgba())
    out: dict[str, Sparkline] = {}
    for i, key in enumerate(keys):
        buf = io.BytesIO()
        imsave(buf, rgba[i * h : (i + 1) * h, :w], format="png", metadata={"Software": None})
        label = (labels or {}).get(key, key)
        if formatter and key in formatter:
            show = show_ref = formatter[key]
            if reference_formatter and key in reference_formatter:
                show_ref = reference_formatter[key]
        else:
            d = decimals if isinstance(decimals, int) else int(decimals.get(key, 1))

            def show(v, d=d):
                return numbers.fmt(v, d)

            def show_ref(v, d=d):  # a mean is given to one place more than a whole-number figure, as LAIT
                return numbers.fmt(v, max(1, d))

        marked = [yy for yy, flag in zip(years, mk.loc[key]) if flag] if mk is not None else []
        series = pd.Series(lines.loc[key].to_numpy(float), index=years)
        ref_s = pd.Series(ref.loc[key].to_numpy(float), index=years) if ref is not None else None
        out[key] = Sparkline(key, buf.getvalue(), _alt(label, series, ref_s, marked, show, show_ref), width, height)
    return out
