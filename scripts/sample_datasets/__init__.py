"""The seeded generator of the sample datasets in datasets/ (python -m scripts.sample_datasets.generate)."""
