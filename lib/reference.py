"""Published facts and figures the book compares with (from the four papers and their authors' released code).

Chapters quote these through variables, so every number in the prose has one source.
"""

from __future__ import annotations

# --- S23: Schuetzke, Szymanski, Reischl, npj Comput. Mater. 9 (2023) 100
S23_GENERATION_SPECTRA = 30_000  # "60 randomly varied training samples per class" x 500 classes
S23_GENERATION_SECONDS = 15  # "generated in less than 15 seconds using a standard desktop computer"
S23_PEAKS_TEXT = (2, 7)  # the methods text: "each pattern is comprised of 5000 datapoints that contain 2-7 peaks"
S23_HARD_PAIRS = {
    "overlooked minor peak": (246, 382),
    "overlapping positions": (8, 318),
    "overlapping intensities": (164, 281),
}
S23_RELEASE_SEED = 2022  # numpy default_rng seed of the authors' class generator

# --- R23: Rieger, Wilson, Vegge, Flores, Digital Discovery 2 (2023) 1957
#: R23's wavenumber grid (cm⁻¹) as the released code and weights use it: ``numpy.linspace(500, 3900, 850)``
#: (the paper's text says 400–4000 cm⁻¹ at 4.2 cm⁻¹, which does not give 850 points).
R23_GRID = (500.0, 3900.0, 850)

# Table 1, mean over 10 seeds: group -> (proportion, F1, AUC, accuracy, precision, recall) as printed.
# The authors' table generator writes ``str(mean)[:4]``: every value is the mean *truncated* to two
# decimals, so 0.93 stands for a mean in [0.93, 0.94) (:func:`r23_interval`). The digit it prints in
# parentheses after F1, AUC, accuracy and recall (``0.93(5)``) is taken from the standard deviation's
# string, not a third decimal of the mean; it is kept apart in :data:`R23_TABLE1_PARENTHESES`.
R23_TABLE1 = {
    "alkane": (0.68, 0.93, 0.96, 0.90, 0.93, 0.92),
    "methyl": (0.64, 0.93, 0.96, 0.90, 0.92, 0.94),
    "aromatics": (0.57, 0.97, 0.99, 0.97, 0.97, 0.97),
    "alkyl halides": (0.27, 0.75, 0.92, 0.86, 0.72, 0.78),
    "alcohols": (0.27, 0.93, 0.98, 0.96, 0.93, 0.92),
    "ether": (0.24, 0.91, 0.98, 0.95, 0.91, 0.92),
    "alkene": (0.13, 0.77, 0.95, 0.93, 0.76, 0.77),
    "esters": (0.11, 0.91, 0.98, 0.97, 0.89, 0.93),
    "amines": (0.09, 0.83, 0.97, 0.96, 0.84, 0.83),
    "ketones": (0.09, 0.80, 0.97, 0.96, 0.79, 0.81),
    "carboxylic acids": (0.07, 0.90, 0.99, 0.98, 0.91, 0.89),
    "nitro": (0.05, 0.94, 0.99, 0.99, 0.97, 0.92),
    "nitriles": (0.04, 0.67, 0.97, 0.98, 0.72, 0.63),
    "alkyne": (0.02, 0.83, 0.97, 0.99, 0.90, 0.78),
    "aldehydes": (0.02, 0.88, 0.98, 0.99, 0.92, 0.85),
    "amides": (0.01, 0.53, 0.93, 0.97, 0.50, 0.57),
    "acyl halides": (0.01, 0.59, 0.99, 0.99, 0.54, 0.67),
}
R23_TABLE1_COLUMNS = ("proportion", "f1", "auc", "accuracy", "precision", "recall")
R23_TABLE1_DECIMALS = 2  # every Table 1 value is truncated to two decimals
#: The digit printed in parentheses after F1, AUC, accuracy and recall (a digit of the std's string).
R23_TABLE1_PARENTHESES = {
    "alkane": (5, 7, 4, 3),
    "methyl": (4, 2, 9, 2),
    "aromatics": (6, 2, 7, 5),
    "alkyl halides": (5, 7, 8, 8),
    "alcohols": (9, 4, 8, 2),
    "ether": (7, 8, 9, 3),
    "alkene": (4, 8, 0, 5),
    "esters": (8, 9, 0, 4),
    "amines": (9, 1, 2, 6),
    "ketones": (0, 9, 4, 7),
    "carboxylic acids": (9, 8, 4, 6),
    "nitro": (5, 3, 1, 2),
    "nitriles": (2, 9, 3, 4),
    "alkyne": (5, 5, 5, 6),
    "aldehydes": (2, 9, 7, 1),
    "amides": (5, 5, 3, 1),
    "acyl halides": (9, 3, 6, 4),
}
R23_TABLE1_PARENTHESES_COLUMNS = ("f1", "auc", "accuracy", "recall")
# Table 2, molecule level: (mean, std)
R23_MOLECULAR = {"perfection": (0.59, 0.02), "molecular F1": (0.895, 0.005)}
FINE2020_MOLECULAR = {"perfection": 0.63, "molecular F1": 0.905}
R23_COUNTS = {"database": 14_346, "gas with InChI": 8_125, "train": 5_687, "val": 1_218, "test": 1_220}
R23_SPLIT = (0.70, 0.15, 0.15)  # train / validation / test shares, drawn at random
R23_SPLIT_SEED = 42  # the released code's ``get_split(..., seed=42)``: one split for all ten models
R23_SEEDS = 10  # models (seeds) per table
R23_PATIENCE = 5  # ``max_patience`` of the released train.py, which stops when ``cur_patience > max_patience``
R23_STALE_EPOCHS = R23_PATIENCE + 1  # so a run ends after 6 epochs without a lower validation loss
R23_PROPORTION_TOLERANCE = 0.01  # our index proportions should agree within this, amides excepted


def r23_grid():
    """R23's wavenumber grid (cm⁻¹), :data:`R23_GRID` as a NumPy array."""
    import numpy as np

    return np.linspace(*R23_GRID)


def r23_interval(value: float, decimals: int = R23_TABLE1_DECIMALS) -> tuple[float, float]:
    """The means a value truncated to ``decimals`` can stand for: ``[value, value + 10**-decimals)``."""
    step = 10.0**-decimals
    lo = round(float(value), decimals)
    return lo, round(lo + step, decimals)


# R23 explainability (§2.4, Figs. 3-7)
R23_EXPLAIN = {
    "seeds": 10,  # networks whose weights Fig. 6 averages
    "top_k": 100,  # strongest activations per channel (Fig. 3)
    "channels": 8,  # latent channels
    "receptive_field_cm": 67,  # "the size of the receptive field of each dense layer input, 67 cm-1"
    "zoom_group": "alkene",  # Fig. 4
    "zoom_region": (1350.0, 1950.0),
    "alkene_peak": 1620.0,  # "ca. 1620 cm-1, a single peak - without any neighbors"
    "region": (2400.0, 2700.0),  # Fig. 7: anharmonic bands used by the nitro and ketone classifiers
    "region_groups": ("nitro", "ketones"),
}


def r23_table1():
    """R23 Table 1 as printed (two decimals, truncated), a DataFrame indexed by group."""
    import pandas as pd

    return pd.DataFrame.from_dict(R23_TABLE1, orient="index", columns=list(R23_TABLE1_COLUMNS))


def r23_table1_intervals(column: str):
    """``lo`` and ``hi`` per group: R23's Table 1 ``column`` as the interval ``[lo, hi)`` its mean lies in."""
    import pandas as pd

    if column not in R23_TABLE1_COLUMNS:
        raise ValueError(f"unknown R23 Table 1 column {column!r} (one of {', '.join(R23_TABLE1_COLUMNS)})")
    i = R23_TABLE1_COLUMNS.index(column)
    rows = {group: r23_interval(values[i]) for group, values in R23_TABLE1.items()}
    return pd.DataFrame.from_dict(rows, orient="index", columns=["lo", "hi"])


def r23_printed(group: str, column: str) -> str:
    """A Table 1 cell as R23 print it, e.g. ``"0.93(5)"`` (precision and proportion have no parentheses)."""
    value = R23_TABLE1[group][R23_TABLE1_COLUMNS.index(column)]
    if column not in R23_TABLE1_PARENTHESES_COLUMNS:
        return f"{value:.2f}"
    return f"{value:.2f}({R23_TABLE1_PARENTHESES[group][R23_TABLE1_PARENTHESES_COLUMNS.index(column)]})"


def r23_macro(column: str = "f1") -> tuple[float, float]:
    """The interval R23's macro average of a Table 1 column lies in: mean of the lower bounds, mean of
    the upper bounds (each group's mean is only known to lie in its truncation interval)."""
    bounds = r23_table1_intervals(column)
    return float(bounds["lo"].mean()), float(bounds["hi"].mean())


# --- S23 benchmark results (Schuetzke et al. 2023, Fig. 2, text)
S23_TEST_SIZE = 4_500  # deterministic test spectra (500 classes x 9)
S23_TRAIN_SIZE = 25_000  # training spectra (500 classes x 50)
S23_TEST_ERRORS = {  # misclassified test spectra, mean over 5 seeds (Fig. 2)
    "CNN2": 38.0,
    "CNN3": 28.4,
    "CNN6": 8.4,
    "INC3": 17.2,
    "INC6": 11.4,
    "VGG": 21.6,
    "CNN-BN": 44.2,
    "ResNet": 21.2,
}
S23_CNN6_TEST_ERROR_RANGE = (6, 12)  # CNN6 over its 5 seeds
# misclassified test spectra per seed 0–4 (the authors' Figures/wandb_export.csv, column wrong_class)
S23_TEST_ERRORS_PER_SEED = {
    "CNN6": (6, 8, 9, 12, 7),
    "INC6": (12, 10, 11, 11, 13),
    "INC3": (12, 18, 20, 19, 17),
    "ResNet": (22, 20, 20, 22, 22),
    "VGG": (19, 31, 26, 16, 16),
    "CNN3": (34, 27, 31, 25, 25),
    "CNN2": (34, 39, 31, 50, 36),
    "CNN-BN": (45, 33, 44, 49, 50),
}
S23_MIN_TEST_ACCURACY = 0.989  # every model >= 4,450 of 4,500 correct
S23_CNN6_TRAIN_ERROR_RANGE = (125, 185)  # CNN6 misclassified training spectra (of 25,000)
S23_OTHER_TRAIN_MIN_CORRECT = 24_900  # "most models correctly identified at least 24,900 of 25,000"
S23_MINOR_PEAK_PAIRS = 7  # 246/382 "and six additional pairs" confused for a minor peak
S23_CHALLENGE_CNN6_ACCURACY = 0.90  # "close to 90%" with ReLU dense layers (Fig. 7)
S23_CHALLENGE_TEST_SIZE = 162  # 27 classes x 6


# --- S22: Schuetzke, Szymanski, Ceder, Reischl, "A Critical Review of Neural Networks for the Use with
# Spectroscopic Data", ECM 2022 talk (slides "Evaluation Dataset")
S22_CNN_ACCURACY = 0.96  # Lee-style 3-layer CNN on the single-peak toy task
S22_RF_ACCURACY = 0.80  # random forest on the raw spectra
S22_RF_POOL1_ACCURACY = 0.92  # random forest on max-pooled spectra
S22_RF_POOL2_ACCURACY = 0.94  # ... after a second pooling step


# --- V24: Vorozhtsov & Kitina, Mendeleev Commun. (2024), doi 10.1016/j.mencom.2024.10.006
V24_ACCURACY = (0.9903, 0.0027)  # S23 benchmark, triplet encoder + k-NN: mean, std
V24_NOTEBOOK_TEST_ERRORS = 42  # the authors' notebook, trained on 40 % of the training set: 42 wrong of 4,500
V24_SOFTMAX_ACCURACY = (0.9902, 0.0021)  # the same convolution stack with a softmax head (S23's CNN-BN)
V24_FRACTION_ACCURACY = {1.0: (0.9903, 0.0027), 0.4: (0.9895, 0.0031), 0.1: (0.9764, 0.0021)}  # share of train set
V24_UNSEEN_CLASSES = (400, 100)  # trained on 400 classes, tested on the other 100 without fine-tuning
V24_UNSEEN_ACCURACY = 0.99667
V24_REFS_PER_CLASS = 20  # reference spectra per class in the authors' notebooks; k chosen on validation
V24_CHALLENGE_ACCURACY = 0.5308  # challenge set (27 classes)
V24_CHALLENGE_SOFTMAX_ACCURACY = 0.5247  # "the benchmark accuracy" on the challenge set
# Table 1: number of mixture components -> share of mixtures with at least j = 1, 2, ... components right
V24_MIXTURE_ACCURACY = {1: (0.990,), 2: (0.992, 0.920), 3: (0.996, 0.966, 0.788), 4: (0.993, 0.960, 0.848, 0.594)}
# "Beyond the paper" targets the book sets itself (not published numbers)
TARGET_MAIN_ACCURACY = 0.998
TARGET_UNSEEN_ACCURACY = 0.997
TARGET_UNSEEN_MAX_REFS = 20
TARGET_MAIN_MEAN_ACCURACY = 0.995  # V24's main result, mean over at least TARGET_SEEDS seeds
TARGET_SEEDS = 3
# our own goals beyond S23 (not published numbers): a network of Lite's size (8 % of CNN6's
# multiply-adds) with no more test errors than S23's best network, and the challenge set above 95 %
TARGET_BENCHMARK_ERRORS = 8
TARGET_CHALLENGE_ACCURACY = 0.95
