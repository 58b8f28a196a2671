"""The IR part: NIST WebBook client and replay, JCAMP-DX ingestion, labels, GFN2-xTB simulation,
functional-group ensembles, explanations and prediction."""
