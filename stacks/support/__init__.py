"""Shared by stacks and constructs: cdk-nag acknowledgements, Lambda roles and bundling, the inputs fingerprint."""
