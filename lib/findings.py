"""What the book found, in a few sentences and one small figure, for the introduction.

Everything is read from the scoreboard tables of :mod:`lib.glance` (``book_table`` for the four
papers' claims, ``beyond_table`` for the book's own), so the introduction states the same verdicts
as *Results at a glance* and changes with them.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from lib import glance
from lib.notebook import join_and

#: Verdicts that count as a paper's claim confirmed by the book.
CONFIRMED = (glance.BETTER, glance.REPRODUCED)
#: Bar colours of :func:`verdict_figure`, one per verdict group.
COLOURS = {"better than the paper": "#1b7837", "reproduced": "#7fbf7b", "not reproduced": "#d6604d",
           "not judged": "#bababa"}  # fmt: skip


def _group(verdict: str) -> str:
    if verdict in (glance.BETTER, glance.REPRODUCED, glance.NOT_REPRODUCED):
        return verdict
    return "not judged"


def _count(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def _examples(frame: pd.DataFrame, verdicts: tuple[str, ...], limit: int) -> str:
    rows = frame[frame["verdict"].isin(verdicts)].head(limit)
    if rows.empty:
        return ""
    return join_and([f"{r.claim} ({r.paper}: {r.published}; ours: {r.ours})" for r in rows.itertuples()])


def sentences(papers: pd.DataFrame, beyond: pd.DataFrame, examples: int = 2) -> dict[str, str]:
    """The findings as named sentences: ``tally``, ``by_paper``, ``better``, ``short`` and ``beyond``.

    ``papers`` and ``beyond`` are :func:`lib.glance.book_table` and :func:`lib.glance.beyond_table`
    (columns ``paper``, ``claim``, ``published``, ``ours``, ``verdict``); ``examples`` caps the
    claims each of ``better`` and ``short`` names. A sentence with nothing to say reads so.
    """
    missing = {"paper", "claim", "published", "ours", "verdict"} - set(papers.columns)
    if missing:
        raise ValueError(f"papers table lacks the column(s) {', '.join(sorted(missing))}")
    tally = papers["verdict"].map(_group).value_counts()
    n = len(papers)
    others = papers[papers["verdict"].map(_group) == "not judged"]["verdict"].value_counts()
    why = join_and([f"{k:,} {w}" for w, k in others.items()]) if len(others) else ""
    out = {
        "tally": (
            f"Of the {n:,} headline claims of the four works, {tally.get(glance.BETTER, 0):,} came out better than the "
            f"paper, {tally.get(glance.REPRODUCED, 0):,} were reproduced and {tally.get(glance.NOT_REPRODUCED, 0):,} "
            f"were not" + (f"; {tally.get('not judged', 0):,} could not be judged ({why})." if why else ".")
        ),
        "by_paper": "Confirmed (reproduced or better), paper by paper: "
        + join_and(
            [
                f"{paper} {int(group['verdict'].isin(CONFIRMED).sum()):,} of {len(group):,}"
                for paper, group in papers.groupby("paper", sort=False)
            ]
        )
        + ".",
    }
    better = _examples(papers, (glance.BETTER,), examples)
    out["better"] = f"Better than the paper: {better}." if better else "No claim came out better than its paper."
    short = _examples(papers, (glance.NOT_REPRODUCED,), examples)
    out["short"] = f"Not reproduced: {short}." if short else "Every claim we could judge was reproduced."
    own = beyond["verdict"].value_counts() if len(beyond) else pd.Series(dtype=int)
    held = beyond[beyond["verdict"] == glance.HOLDS].head(1) if len(beyond) else beyond.head(0)
    example = "" if not len(held) else f"; for example, {held.iloc[0]['claim']} ({held.iloc[0]['ours']})"
    undecided = int(own.get(glance.UNDECIDED, 0))
    out["beyond"] = (
        f"Beyond the papers, the book tests {_count(len(beyond), 'claim')} of its own: "
        f"{own.get(glance.HOLDS, 0):,} hold, {own.get(glance.FAILS, 0):,} do not and "
        f"{undecided:,} {'is' if undecided == 1 else 'are'} undecided{example}."
    )
    return out


def verdict_counts(papers: pd.DataFrame) -> pd.DataFrame:
    """Claims per paper (rows, in table order) and verdict group (columns of :data:`COLOURS`)."""
    groups = papers.assign(group=papers["verdict"].map(_group))
    counts = pd.crosstab(groups["paper"], groups["group"]).reindex(columns=list(COLOURS), fill_value=0)
    return counts.reindex(list(dict.fromkeys(papers["paper"])))


def verdict_figure(papers: pd.DataFrame) -> Any:
    """A small matplotlib figure: one bar per paper, its claims stacked by verdict group."""
    import matplotlib.pyplot as plt

    counts = verdict_counts(papers)
    fig, ax = plt.subplots(figsize=(6.4, 0.5 + 0.42 * len(counts)))
    left = pd.Series(0, index=counts.index)
    for group, colour in COLOURS.items():
        ax.barh(counts.index, counts[group], left=left, color=colour, label=group, height=0.6)
        left = left + counts[group]
    ax.invert_yaxis()
    ax.set_xlabel("headline claims")
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.legend(ncols=len(COLOURS), loc="lower left", bbox_to_anchor=(0, 1.0), frameon=False, fontsize=8)
    fig.tight_layout()
    return fig
