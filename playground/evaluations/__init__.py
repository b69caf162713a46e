"""Evaluations: one setup over the cases of a dataset, with checks, run in the background."""
