"""Rules that turn the critical-review measurements into verdicts on the talk's six claims.

Every rule is a function of the measured numbers with named thresholds (the module constants
are the defaults): it returns a :class:`Verdict` with the claim, the rule in words, every
number it used, its margin and one of three outcomes. A rule whose measurement rests on a
network that did not learn its task (validation accuracy, or accuracy far from the class
border, below a competence threshold) says ``"not tested"``: a failed run neither supports nor
refutes a claim. Differences are compared with ``>=`` (at least the margin).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

CONFIRMED, NOT_CONFIRMED, NOT_TESTED = "confirmed", "not confirmed", "not tested"
OUTCOMES = (CONFIRMED, NOT_CONFIRMED, NOT_TESTED)

#: A two-class network counts as trained when its validation accuracy (kept epoch) is at least this.
MIN_VAL_ACCURACY = 0.75
#: Claim 1: the CNN must beat the forest on raw spectra by at least this much test accuracy.
CNN_FOREST_MARGIN = 0.05
#: Claim 2: one pooling step must improve the forest by at least this much …
POOL_MARGIN = 0.02
#: … and a second step with the same window by at least this much more.
SECOND_POOL_MARGIN = 0.01
#: Claim 3: the best convolution block's median peak share must be at least this multiple of the input's.
CONTRAST_FACTOR = 2.0
#: Claim 4: at least this share of zero-mean initialisations must be blind to the peak (none of the positive ones).
DEAD_SHARE_MIN = 0.2
#: Claim 5: "near the border" means fewer than this many points from it …
NEAR_DISTANCE = 5
#: … "far from it" at least this many.
FAR_DISTANCE = 25
#: Claim 5: a network must classify at least this share of the peaks far from the border to be judged.
FAR_COMPETENCE = 0.9
#: Claim 5: ResNet must lose at least this much accuracy near the border compared with far from it …
BORDER_MARGIN = 0.10
#: … and the shallow CNN without pooling must beat ResNet near the border by at least this much.
SHALLOW_MARGIN = 0.05
#: Claim 6: batch norm counts as jumpier when its stability value exceeds the plain network's by at least this …
JUMPINESS_MARGIN = 0.05
#: … and as less accurate when it loses at least this much mean test accuracy.
BN_ACCURACY_MARGIN = 0.02


@dataclass(frozen=True)
class Verdict:
    """One claim judged by one rule.

    ``numbers``: every number the rule used (accuracies and shares as fractions, differences of
    them in fractions too); ``percent``: the keys of ``numbers`` shown as percentages;
    ``margin``: the rule's main threshold; ``reason``: one sentence, computed from the numbers,
    that says which comparison decided.
    """

    claim: str
    rule: str
    numbers: dict[str, float]
    margin: float
    outcome: str
    reason: str
    percent: tuple[str, ...] = field(default=())

    def __post_init__(self):
        if self.outcome not in OUTCOMES:
            raise ValueError(f"Verdict.outcome must be one of {OUTCOMES}, got {self.outcome!r}")
        unknown = set(self.percent) - set(self.numbers)
        if unknown:
            raise ValueError(f"Verdict.percent names keys missing from numbers: {sorted(unknown)}")

    def shown(self) -> str:
        """The numbers as one line: ``name value; name value …`` (percentages where ``percent`` says)."""
        return "; ".join(f"{k} {_fmt(v, k in self.percent)}" for k, v in self.numbers.items())


def _fmt(value: float, percent: bool) -> str:
    if value != value:  # NaN
        return "–"
    return f"{100 * value:.1f} %" if percent else f"{value:.3f}"


def _pts(x: float) -> str:
    return f"{100 * x:.1f} points"


def _untrained(name: str, value: float, competence: float, what: str = "the validation spectra") -> str:
    return (
        f"{name} reaches only {100 * value:.1f} % on {what} (at least {100 * competence:.0f} % needed): "
        "the network did not learn the task, so the claim was not tested."
    )


def cnn_beats_forest(
    cnn: float, forest: float, cnn_val: float, margin: float = CNN_FOREST_MARGIN, competence: float = MIN_VAL_ACCURACY
) -> Verdict:
    """Claim 1: CNN test accuracy − forest test accuracy ≥ ``margin``.

    Not tested when the CNN's validation accuracy is below ``competence``.
    """
    numbers = {"CNN3 validation": cnn_val, "CNN3 test": cnn, "forest test": forest, "difference": cnn - forest}
    rule = f"CNN3 − forest ≥ {_pts(margin)} (test accuracy); CNN3 validation ≥ {100 * competence:.0f} %"
    if cnn_val < competence:
        outcome, reason = NOT_TESTED, _untrained("CNN3", cnn_val, competence)
    elif cnn - forest >= margin:
        outcome, reason = (
            CONFIRMED,
            f"CNN3 is {_pts(cnn - forest)} ahead of the forest (at least {_pts(margin)} needed).",
        )
    else:
        outcome = NOT_CONFIRMED
        reason = f"CNN3 is only {_pts(cnn - forest)} ahead of the forest (at least {_pts(margin)} needed)."
    return Verdict("1 a CNN beats a random forest", rule, numbers, margin, outcome, reason, tuple(numbers))


def pooling_helps_forest(
    raw: float,
    pool1: float,
    pool2: float,
    window: int,
    margin: float = POOL_MARGIN,
    second_margin: float = SECOND_POOL_MARGIN,
) -> Verdict:
    """Claim 2: pooled − raw ≥ ``margin`` and two steps − one step ≥ ``second_margin`` (test accuracy).

    The window is chosen on validation data beforehand. ``pool2`` is NaN when a second step with
    ``window`` does not fit: then the claim is not tested (unless the first step already fails).
    """
    numbers = {
        "raw": raw,
        f"one step (window {window})": pool1,
        "two steps": pool2,
        "gain of one step": pool1 - raw,
        "gain of the second step": pool2 - pool1,
    }
    rule = f"one step − raw ≥ {_pts(margin)} and two steps − one step ≥ {_pts(second_margin)} (test accuracy)"
    first, second = pool1 - raw >= margin, pool2 - pool1 >= second_margin
    if pool2 != pool2 and first:
        outcome, reason = NOT_TESTED, f"A second pooling step with a window of {window} does not fit the spectrum."
    elif first and second:
        outcome = CONFIRMED
        reason = f"One pooling step adds {_pts(pool1 - raw)} and a second step {_pts(pool2 - pool1)}."
    else:
        outcome = NOT_CONFIRMED
        parts = []
        if not first:
            parts.append(f"one pooling step adds only {_pts(pool1 - raw)} (at least {_pts(margin)} needed)")
        if not second and pool2 == pool2:
            parts.append(f"the second step adds {_pts(pool2 - pool1)} (at least {_pts(second_margin)} needed)")
        text = " and ".join(parts)
        reason = text[0].upper() + text[1:] + "."
    return Verdict("2 max pooling helps the random forest", rule, numbers, margin, outcome, reason, tuple(numbers))


def convolutions_isolate_peak(
    input_share: float,
    block_shares: Sequence[float],
    cnn_val: float,
    factor: float = CONTRAST_FACTOR,
    competence: float = MIN_VAL_ACCURACY,
) -> Verdict:
    """Claim 3: best block's peak share ≥ ``factor`` × the input's.

    Not tested when the CNN's validation accuracy is below ``competence``.
    """
    numbers = {"CNN3 validation": cnn_val, "input": input_share}
    numbers |= {f"block {k}": float(v) for k, v in enumerate(block_shares, 1)}
    best = max(block_shares)
    numbers["best block / input"] = best / input_share if input_share > 0 else float("inf")
    rule = f"best block's median peak share ≥ {factor:g} × the input's; CNN3 validation ≥ {100 * competence:.0f} %"
    if cnn_val < competence:
        outcome, reason = NOT_TESTED, _untrained("CNN3", cnn_val, competence)
    elif best >= factor * input_share:
        outcome = CONFIRMED
        reason = f"The best block concentrates {numbers['best block / input']:.1f} times the input's share on the peak."
    else:
        outcome = NOT_CONFIRMED
        reason = (
            f"The best block concentrates only {numbers['best block / input']:.1f} times the input's share on the peak "
            f"(at least {factor:g} needed)."
        )
    shares = tuple(k for k in numbers if k != "best block / input")
    return Verdict("3 the convolutions isolate the peak", rule, numbers, factor, outcome, reason, shares)


def relu_filters_go_blind(glorot: float, positive: float, minimum: float = DEAD_SHARE_MIN) -> Verdict:
    """Claim 4: share of blind zero-mean filters ≥ ``minimum`` and no blind positive filter."""
    numbers = {"blind, Glorot": glorot, "blind, positive": positive}
    rule = f"blind Glorot filters ≥ {100 * minimum:.0f} % and blind positive filters = 0 %"
    if glorot >= minimum and positive <= 0:
        outcome = CONFIRMED
        reason = f"{100 * glorot:.1f} % of the zero-mean filters are blind to the peak, none of the positive ones."
    else:
        outcome = NOT_CONFIRMED
        reason = (
            f"{100 * glorot:.1f} % of the zero-mean filters (at least {100 * minimum:.0f} % needed) and "
            f"{100 * positive:.1f} % of the positive ones are blind to the peak."
        )
    return Verdict(
        "4 a random filter with ReLU is often blind", rule, numbers, minimum, outcome, reason, tuple(numbers)
    )


def border_hurts_resnet(
    resnet_near: float,
    resnet_far: float,
    shallow_near: float,
    shallow_far: float,
    margin: float = BORDER_MARGIN,
    shallow_margin: float = SHALLOW_MARGIN,
    competence: float = FAR_COMPETENCE,
    near: int = NEAR_DISTANCE,
    far: int = FAR_DISTANCE,
) -> Verdict:
    """Claim 5: ResNet far − near ≥ ``margin`` and shallow near − ResNet near ≥ ``shallow_margin``.

    Not tested when either network classifies less than ``competence`` of the peaks at least
    ``far`` points from the border: a network that fails there has not learned the task.
    """
    numbers = {
        f"ResNet < {near} pts": resnet_near,
        f"ResNet ≥ {far} pts": resnet_far,
        f"shallow < {near} pts": shallow_near,
        f"shallow ≥ {far} pts": shallow_far,
        "ResNet drop": resnet_far - resnet_near,
        "shallow − ResNet near": shallow_near - resnet_near,
    }
    rule = (
        f"ResNet far − near ≥ {_pts(margin)} and shallow − ResNet near the border ≥ {_pts(shallow_margin)}; "
        f"both ≥ {100 * competence:.0f} % far from the border"
    )
    drop, lead = resnet_far - resnet_near >= margin, shallow_near - resnet_near >= shallow_margin
    if min(resnet_far, shallow_far) < competence:
        name, value = ("ResNet", resnet_far) if resnet_far < competence else ("The shallow CNN", shallow_far)
        outcome = NOT_TESTED
        reason = _untrained(name, value, competence, f"the test spectra at least {far} points from the border")
    elif drop and lead:
        outcome = CONFIRMED
        reason = (
            f"ResNet loses {_pts(resnet_far - resnet_near)} near the border, where the shallow CNN is "
            f"{_pts(shallow_near - resnet_near)} ahead of it."
        )
    else:
        outcome = NOT_CONFIRMED
        reason = (
            f"ResNet loses {_pts(resnet_far - resnet_near)} near the border (at least {_pts(margin)} needed) and the "
            f"shallow CNN is {_pts(shallow_near - resnet_near)} ahead of it there "
            f"(at least {_pts(shallow_margin)} needed)."
        )
    shares = tuple(numbers)
    return Verdict("5 pooling loses positions near the class border", rule, numbers, margin, outcome, reason, shares)


def batch_norm_hurts(
    stability_bn: float,
    stability_plain: float,
    accuracy_bn: float,
    accuracy_plain: float,
    val_bn: float,
    val_plain: float,
    jumpiness_margin: float = JUMPINESS_MARGIN,
    accuracy_margin: float = BN_ACCURACY_MARGIN,
    competence: float = MIN_VAL_ACCURACY,
) -> Verdict:
    """Claim 6: BN stability − plain ≥ ``jumpiness_margin`` (jumpier) or plain − BN accuracy ≥ ``accuracy_margin``.

    The two criteria are reported separately in ``reason``. Not tested when either network's
    mean validation accuracy is below ``competence``.
    """
    numbers = {
        "jumpiness with BN": stability_bn,
        "jumpiness without": stability_plain,
        "validation with BN": val_bn,
        "validation without": val_plain,
        "test with BN": accuracy_bn,
        "test without": accuracy_plain,
        "accuracy lost": accuracy_plain - accuracy_bn,
    }
    rule = (
        f"jumpiness with − without ≥ {jumpiness_margin:g} or test accuracy without − with ≥ {_pts(accuracy_margin)}; "
        f"both ≥ {100 * competence:.0f} % on validation"
    )
    jumpier = stability_bn - stability_plain >= jumpiness_margin
    worse = accuracy_plain - accuracy_bn >= accuracy_margin
    percent = ("validation with BN", "validation without", "test with BN", "test without", "accuracy lost")
    if min(val_bn, val_plain) < competence:
        name, value = (
            ("The network with batch norm", val_bn) if val_bn < competence else ("The plain network", val_plain)
        )
        outcome, reason = NOT_TESTED, _untrained(name, value, competence)
    else:
        outcome = CONFIRMED if jumpier or worse else NOT_CONFIRMED
        reason = (
            f"Jumpiness: {stability_bn:.3f} with batch norm vs {stability_plain:.3f} without, "
            f"{'jumpier' if jumpier else 'not jumpier'} by the margin of {jumpiness_margin:g}; "
            f"accuracy: {_pts(accuracy_plain - accuracy_bn)} lost, "
            f"{'at least' if worse else 'less than'} the margin of {_pts(accuracy_margin)}."
        )
    return Verdict("6 batch norm hurts on spectra", rule, numbers, jumpiness_margin, outcome, reason, percent)


def verdict_table(verdicts: Sequence[Verdict]) -> pd.DataFrame:
    """One row per verdict: claim, rule, the numbers used, outcome and reason."""
    return pd.DataFrame(
        [
            {"claim": v.claim, "rule": v.rule, "numbers used": v.shown(), "outcome": v.outcome, "reason": v.reason}
            for v in verdicts
        ]
    )


def count_outcomes(verdicts: Sequence[Verdict]) -> dict[str, int]:
    """How many verdicts have each outcome (every outcome listed, zeros included)."""
    return {o: sum(v.outcome == o for v in verdicts) for o in OUTCOMES}


def running_average_note(name: str, recomputed: float, running: float, margin: float = BN_ACCURACY_MARGIN) -> str:
    """One sentence comparing a batch-norm network's test accuracy with recomputed statistics and with running averages.

    The difference counts when it reaches ``margin`` (``>=``) in either direction.
    """
    diff = recomputed - running
    head = (
        f"{name} scores {100 * recomputed:.1f} % on the test spectra with recomputed batch-norm statistics "
        f"and {100 * running:.1f} % with Keras' running averages"
    )
    if diff >= margin:
        return f"{head}: the running averages alone cost {_pts(diff)}."
    if -diff >= margin:
        return f"{head}: here the running averages score {_pts(-diff)} higher."
    return f"{head}: the two differ by less than {_pts(margin)}."
