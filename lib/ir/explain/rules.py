"""Rules that turn the explanation study's numbers into findings, each with a sentence made from them.

Every rule returns a :class:`Finding`: whether the claim it tests ``holds``, the numbers it used
(``values``) and a ``sentence`` (Markdown) that states the outcome with those numbers. Thresholds
are parameters with defaults named here, never typed into a chapter.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

#: Seed agreement counts as "close to identical profiles" from this mean correlation on.
IDENTICAL = 0.9
#: A share of weight mass is "above chance" when it exceeds chance by this factor.
CHANCE_FACTOR = 1.0
#: "Most of the weight": a share above this.
MAJORITY = 0.5
#: A channel responds to a shape wherever it occurs when its top windows spread wider than this (cm⁻¹).
SPREAD_WIDTH = 500.0
#: A trained net's explanation "gains" when it beats the better reference by more than this precision.
MIN_GAIN = 0.05
#: A method is "trivial" on own peaks when the untrained net reaches this fraction of the trained precision.
TRIVIAL_RATIO = 0.5


@dataclass(frozen=True)
class Finding:
    """Outcome of a rule: ``holds``, the ``sentence`` stating it, the numbers behind it and a short
    ``title`` (the verdict in a few words, for a list of findings)."""

    holds: bool
    sentence: str
    values: dict = field(default_factory=dict)
    title: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "holds", bool(self.holds))  # numpy booleans become plain ones


def join(items: Iterable[object]) -> str:
    """``a, b and c`` (``none`` for no items)."""
    items = [str(i) for i in items]
    if not items:
        return "none"
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def spread_rule(iqr: pd.Series, width: float = SPREAD_WIDTH, dead: Sequence[int] = ()) -> Finding:
    """Do channels detect shapes wherever they occur? Counts channels whose top windows' interquartile
    range of centres (cm⁻¹, indexed by channel) exceeds ``width``; holds for a majority."""
    wide = int((iqr > width).sum())
    holds = wide > len(iqr) / 2
    sentence = (
        f"The interquartile ranges of the window centres span {iqr.min():.0f}–{iqr.max():.0f} cm⁻¹; for {wide} of "
        f"{len(iqr)} channels they are wider than {width:.0f} cm⁻¹. "
        + (
            "Most channels thus respond to a *shape* wherever it occurs and leave the location to the classifier, "
            "as R23 describe. "
            if holds
            else "Most channels are tied to a region of the spectrum rather than to a shape found anywhere. "
        )
        + (f"Channels {join(dead)} are dead (constant output)." if len(dead) else "No channel is dead.")
    )
    title = "Channels detect shapes." if holds else "Channels are tied to regions."
    return Finding(holds, sentence, {"wide": wide, "n": len(iqr)}, title)


def seed_agreement_rule(
    agreement: pd.Series,
    reference: pd.Series,
    published: pd.Series | None = None,
    identical: float = IDENTICAL,
) -> Finding:
    """Do the seeds agree on where each group is read? Holds when the mean per-group agreement exceeds
    the mean cross-group reference; the sentence also says whether the profiles are close to identical
    (mean agreement ≥ ``identical``)."""
    mean, ref = float(agreement.mean()), float(reference.mean())
    above = int((agreement > reference).sum())
    holds = mean > ref
    degree = "well" if holds and mean >= identical else "partly" if holds else "no better than unrelated groups"
    title = f"Seeds agree {degree}."
    text = f"The per-group profiles of our seeds correlate at {mean:.2f} on average"
    if published is not None:
        text += f" (R23's own models: {float(published.mean()):.2f})"
    text += (
        f", {'above' if holds else 'not above'} the {ref:.2f} at which different groups of different seeds "
        f"correlate ({above} of {len(agreement)} groups above that reference)"
    )
    if holds:
        text += ", so the shared regions are group-specific"
    text += (
        f". A mean correlation of {mean:.2f} is {'close to' if mean >= identical else 'far from'} identical profiles "
        f"(lowest: {agreement.idxmin()}, {agreement.min():.2f})"
    )
    text += "." if mean >= identical else "; the mean ± std band of R23's Fig. 6 hides which seed puts its peaks where."
    return Finding(holds, text, {"mean": mean, "reference": ref, "above": above}, title)


def textbook_rule(
    shares: pd.DataFrame,
    published: pd.DataFrame | None = None,
    factor: float = CHANCE_FACTOR,
    majority: float = MAJORITY,
) -> Finding:
    """Are the classifiers read at the textbook group frequencies? ``shares`` has ``share``, ``chance``
    and ``ratio`` per group (:func:`lib.ir.explain.frequencies.share_table`). Holds when the mean ratio
    exceeds ``factor``; the sentence also says whether the mean share is a majority of the weight."""
    share, ratio = float(shares["share"].mean()), float(shares["ratio"].mean())
    n_above = int((shares["ratio"] > factor).sum())
    mostly = share > majority
    holds = ratio > factor
    title = (
        "Group frequencies are used, and they hold most of the weight."
        if holds and mostly
        else "Group frequencies are used, but they are not most of the weight."
        if holds
        else "Group frequencies get no more weight than chance."
    )
    text = (
        f"On average {share:.0%} of a group's weight mass lies in its textbook ranges ({ratio:.1f} × "
        f"chance; {n_above} of {len(shares)} groups above {factor:g} × chance)"
    )
    if published is not None:
        p_share, p_ratio = float(published["share"].mean()), float(published["ratio"].mean())
        text += f"; {p_share:.0%} for R23's models ({p_ratio:.1f} × chance)"
    if "strongest in range" in shares:
        text += f"; the strongest column lies in the ranges for {int(shares['strongest in range'].sum())} groups"
    text += ". "
    if holds:
        text += (
            "R23's statement that most classifiers emphasise the group frequencies holds in the sense 'more than "
            f"chance', {'and' if mostly else 'not'} in the sense 'mostly' (a mean share "
            f"{'above' if mostly else 'below'} {majority:.0%})."
        )
    else:
        text += "R23's statement that most classifiers emphasise the group frequencies is not supported here."
    return Finding(holds, text, {"share": share, "ratio": ratio, "above": n_above, "mostly": mostly}, title)


def band_rule(peak: float, simulated: float, measured: float, group: str = "nitriles", bond: str = "C≡N") -> Finding:
    """Does the classifier follow its training data? Holds when the strongest column (``peak``, cm⁻¹) lies
    closer to the band of the simulated spectra than to that of the measured ones."""
    holds = abs(peak - simulated) < abs(peak - measured)
    text = (
        f"The {group} classifier of our models peaks at {peak:.0f} cm⁻¹; the {bond} band of our simulated spectra "
        f"lies at a median {simulated:.0f} cm⁻¹, of the measured ones at {measured:.0f} cm⁻¹: "
        + (
            "the classifier trained on simulations follows where the simulation puts the band."
            if holds
            else "the classifier is not closer to the simulated band than to the measured one."
        )
    )
    title = "The classifier follows its training data." if holds else "The classifier does not follow the simulation."
    return Finding(holds, text, {"peak": peak, "simulated": simulated, "measured": measured}, title)


def orientation_rule(towards: pd.Series, target: float, half: float = 0.5) -> Finding:
    """R23's reading of Fig. 4 (patterns face the band at ``target``): ``towards`` holds, per channel,
    the share of top windows whose maximum faces the target; holds when most channels exceed ``half``."""
    facing = int((towards > half).sum())
    holds = facing > len(towards) / 2
    text = (
        f"The strongest channels face the band at {target:.0f} cm⁻¹ in "
        f"{join(f'{v:.0%}' for v in towards)} of their top windows ({facing} of {len(towards)} above one half). "
        "R23's reading (peaks facing the band, tails away from it) rests on looking at the windows; counted over "
        f"all top windows it is {'supported' if holds else 'not supported'} by most channels of our model."
    )
    title = "The zoomed patterns face the band." if holds else "The zoomed patterns do not face the band."
    return Finding(holds, text, {"facing": facing}, title)


def region_rule(
    ours: Mapping[str, float],
    chance: float,
    level: Mapping[str, float],
    published: Mapping[str, float] | None = None,
    region: tuple[float, float] = (2400.0, 2700.0),
) -> Finding:
    """R23 Fig. 7: do models trained on measured spectra weigh a region more than ours? ``ours`` and
    ``published``: share of each group's weight mass in ``region``; ``level``: median maximum of the
    ``simulated`` and ``real`` spectra there. Holds when the published mean share exceeds ours."""
    groups = list(ours)
    text = (
        "Our spectra are harmonic GFN2-xTB simulations: what lies in "
        "the region are wings of fundamental bands, no overtones or combination bands (median maximum there "
        f"{level['simulated']:.3f}; real spectra {level['real']:.3f}). Our models put "
        f"{join(f'{ours[g]:.3f}' for g in groups)} of the {join(groups)} weight mass there, against {chance:.3f} "
        "for a flat profile"
    )
    holds = False
    if published is not None:
        holds = float(np.mean([published[g] for g in groups])) > float(np.mean([ours[g] for g in groups]))
        text += f"; R23's models, trained on measured spectra, {join(f'{published[g]:.3f}' for g in groups)}. " + (
            "That the models trained on measured spectra weigh the region more than ours is consistent with "
            "R23's explanation (weak anharmonic bands carry information), though weight is no proof of use."
            if holds
            else "The models trained on measured spectra do not weigh the region more than ours, which does not "
            "support R23's anharmonic-band explanation."
        )
    else:
        text += "."
    title = f"{region[0]:.0f}–{region[1]:.0f} cm⁻¹."
    return Finding(holds, text + " Weight in a region matters only where the spectrum has activation there.", {}, title)


def faithfulness_rule(
    summary: pd.DataFrame, method: str = "act_x_weight", reference: str = "input", resolution: float | None = None
) -> Finding:
    """Is ``method`` faithful by deletion/insertion? ``summary`` is indexed by method with a
    ``difference`` column (insertion − deletion area). Holds when it beats ``reference``."""
    diff = summary["difference"]
    rank = int(diff.rank(ascending=False, method="min")[method])
    holds = bool(diff[method] > diff[reference])
    others = join(f"{m} {v:.2f}" for m, v in diff.drop(method).sort_values(ascending=False).items())
    text = (
        f"In deletion/insertion, R23's activation × weight ranks {rank} of {len(diff)} "
        f"on our models (difference {diff[method]:.2f}; {others}). "
    )
    if "occlusion" in diff:
        text += "Occlusion deletes exactly as the test does, so it is favoured by construction. "
    text += (
        "R23's explanation is thus "
        + ("a faithful one" if holds else f"not better than the {reference} ranking")
        + " by this measure"
        + (f", at the resolution of one receptive field ({resolution:.0f} cm⁻¹)." if resolution else ".")
    )
    title = "Faithfulness, measured."
    return Finding(holds, text, {"rank": rank, "difference": float(diff[method])}, title)


def pointing_rule(
    own_trained: pd.Series,
    own_untrained: pd.Series,
    distinctive_trained: pd.Series,
    distinctive_untrained: pd.Series,
    min_gain: float = MIN_GAIN,
    trivial_ratio: float = TRIVIAL_RATIO,
) -> Finding:
    """Do explanations find the decisive (distinctive) peaks? Each series: top-k precision per method
    (index includes ``input``; ``random`` is left out). The gain of a method is its trained precision on
    distinctive peaks minus the better of the untrained net and the ``input`` ranking. Holds when any
    method gains more than ``min_gain``. A method is trivial on own peaks when the untrained net
    reaches ``trivial_ratio`` of its trained precision."""
    methods = [m for m in own_trained.index if m not in ("random", "input")]
    gain = distinctive_trained[methods] - np.maximum(distinctive_untrained[methods], distinctive_trained["input"])
    trivial = [m for m in methods if own_untrained[m] >= trivial_ratio * own_trained[m]]
    informative = [m for m in methods if m not in trivial]
    winners = list(gain[gain > min_gain].sort_values(ascending=False).index)

    def pairs(names: list[str]) -> str:
        return join(f"{own_untrained[m]:.2f} vs {own_trained[m]:.2f} trained" for m in names)

    text = ""
    if trivial:
        text += (
            f"For {join(trivial)}, landing on *some* peak proves little: on an untrained net their top points land "
            f"on an own peak at least {trivial_ratio:.0%} as often as on the trained one ({pairs(trivial)}). "
        )
    if informative:
        text += (
            f"For {join(informative)} the untrained net lands less often "
            f"({pairs(informative)}), so "
            "those hits reflect what the net learned. "
        )
    text += (
        "On the *distinctive* peaks a trained net's explanation adds "
        + join(f"{m} {v:+.2f}" for m, v in gain.sort_values(ascending=False).items())
        + " beyond the better of the untrained net and the plain input ranking; "
        + (
            f"{join(winners)} gain{'s' if len(winners) == 1 else ''} more than {min_gain:.2f}."
            if winners
            else f"no method gains more than {min_gain:.2f}: none finds the peaks that alone tell a class from the "
            "others better than ranking the strongest points of the spectrum."
        )
    )
    if (distinctive_trained[methods] < own_trained[methods]).all():
        text += (
            f" All land less often on distinctive peaks than on any own peak (mean "
            f"{distinctive_trained[methods].mean():.2f} against {own_trained[methods].mean():.2f}): an explanation "
            "that points at a peak is no evidence that this peak decides."
        )
    return Finding(bool(winners), text, {"gain": gain, "trivial": trivial, "winners": winners}, "Decisive peaks.")


def discussion(findings: Iterable[Finding]) -> str:
    """The findings as a Markdown bullet list: bold title, then the sentence."""
    return "\n".join(f"- **{f.title}** {f.sentence}" if f.title else f"- {f.sentence}" for f in findings)
