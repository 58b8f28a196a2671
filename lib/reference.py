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
