"""Training-data checks, run by `rft validate` and by the CDK app at synth."""
