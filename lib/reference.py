"""Published facts and figures the book compares with (see ``shared/reference/REFERENCE.md``).

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
# Table 1, mean over 10 seeds: group -> (proportion, F1, AUC, accuracy, precision, recall)
R23_TABLE1 = {
    "alkane": (0.68, 0.935, 0.967, 0.904, 0.93, 0.923),
    "methyl": (0.64, 0.934, 0.962, 0.909, 0.92, 0.942),
    "aromatics": (0.57, 0.976, 0.992, 0.977, 0.97, 0.975),
    "alkyl halides": (0.27, 0.755, 0.927, 0.868, 0.72, 0.788),
    "alcohols": (0.27, 0.939, 0.984, 0.968, 0.93, 0.922),
    "ether": (0.24, 0.917, 0.988, 0.959, 0.91, 0.923),
    "alkene": (0.13, 0.774, 0.958, 0.930, 0.76, 0.775),
    "esters": (0.11, 0.918, 0.989, 0.970, 0.89, 0.934),
    "amines": (0.09, 0.839, 0.971, 0.962, 0.84, 0.836),
    "ketones": (0.09, 0.800, 0.979, 0.964, 0.79, 0.817),
    "carboxylic acids": (0.07, 0.909, 0.998, 0.984, 0.91, 0.896),
    "nitro": (0.05, 0.945, 0.993, 0.991, 0.97, 0.922),
    "nitriles": (0.04, 0.672, 0.979, 0.983, 0.72, 0.634),
    "alkyne": (0.02, 0.835, 0.975, 0.995, 0.90, 0.786),
    "aldehydes": (0.02, 0.882, 0.989, 0.997, 0.92, 0.851),
    "amides": (0.01, 0.535, 0.935, 0.973, 0.50, 0.571),
    "acyl halides": (0.01, 0.599, 0.993, 0.996, 0.54, 0.674),
}
R23_TABLE1_COLUMNS = ("proportion", "f1", "auc", "accuracy", "precision", "recall")
# Table 2, molecule level: (mean, std)
R23_MOLECULAR = {"perfection": (0.59, 0.02), "molecular F1": (0.895, 0.005)}
FINE2020_MOLECULAR = {"perfection": 0.63, "molecular F1": 0.905}
R23_COUNTS = {"database": 14_346, "gas with InChI": 8_125, "train": 5_687, "val": 1_218, "test": 1_220}
R23_PROPORTION_DECIMALS = 2  # R23 Table 1 prints the proportions rounded to two decimals
R23_PROPORTION_TOLERANCE = 0.01  # issue: our index proportions should agree within this, amides excepted
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
    """R23 Table 1 as a DataFrame indexed by group."""
    import pandas as pd

    return pd.DataFrame.from_dict(R23_TABLE1, orient="index", columns=list(R23_TABLE1_COLUMNS))


# --- S23 benchmark results (Schuetzke et al. 2023, Fig. 2, text and REFERENCE.md §2 "Published results")
# Block added with the "Benchmark" and "Challenge set" chapters.
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
S23_MIN_TEST_ACCURACY = 0.989  # every model >= 4,450 of 4,500 correct
S23_CNN6_TRAIN_ERROR_RANGE = (125, 185)  # CNN6 misclassified training spectra (of 25,000)
S23_OTHER_TRAIN_MIN_CORRECT = 24_900  # "most models correctly identified at least 24,900 of 25,000"
S23_MINOR_PEAK_PAIRS = 7  # 246/382 "and six additional pairs" confused for a minor peak
S23_CHALLENGE_CNN6_ACCURACY = 0.90  # "close to 90%" with ReLU dense layers (Fig. 7)
S23_CHALLENGE_TEST_SIZE = 162  # 27 classes x 6


# --- V24: Vorozhtsov & Kitina, Mendeleev Commun. (2024), doi 10.1016/j.mencom.2024.10.006 (REFERENCE.md §4)
# Block added with the "Learning a metric" chapter.
V24_ACCURACY = (0.9903, 0.0027)  # S23 benchmark, triplet encoder + k-NN: mean, std
V24_NOTEBOOK_TEST_ERRORS = 42  # the authors' notebook: 42 wrong of 4,500
V24_SOFTMAX_ACCURACY = (0.9902, 0.0021)  # the same convolution stack with a softmax head (S23's CNN-BN)
V24_FRACTION_ACCURACY = {1.0: (0.9903, 0.0027), 0.4: (0.9895, 0.0031), 0.1: (0.9764, 0.0021)}  # share of train set
V24_UNSEEN_CLASSES = (400, 100)  # trained on 400 classes, tested on the other 100 without fine-tuning
V24_UNSEEN_ACCURACY = 0.99667
V24_REFS_PER_CLASS = 20  # reference spectra per class in the authors' notebooks; k chosen on validation
V24_CHALLENGE_ACCURACY = 0.5308  # challenge set (27 classes)
V24_CHALLENGE_SOFTMAX_ACCURACY = 0.5247  # "the benchmark accuracy" on the challenge set
# Table 1: number of mixture components -> share of mixtures with at least j = 1, 2, ... components right
V24_MIXTURE_ACCURACY = {1: (0.990,), 2: (0.992, 0.920), 3: (0.996, 0.966, 0.788), 4: (0.993, 0.960, 0.848, 0.594)}
# "Beyond the paper" targets of the book's issue (not published numbers)
TARGET_MAIN_ACCURACY = 0.998
TARGET_UNSEEN_ACCURACY = 0.997
TARGET_UNSEEN_MAX_REFS = 20
