"""Constructs: one logical unit each, keyword-only props, resources exposed as attributes."""
