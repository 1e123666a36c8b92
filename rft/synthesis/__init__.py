"""Synthetic responses and batches: rehearsal cases, the preflight batch, IFEval-compliant and violating texts."""
