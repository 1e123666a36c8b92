"""``python -m rft``: the same command as the ``rft`` console script (``rft.commands.cli:main``)."""

import sys

from rft.commands.cli import main

sys.exit(main())
