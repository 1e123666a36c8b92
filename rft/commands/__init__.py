"""The `rft` command: its entry point (cli.py) and one module per command group."""
