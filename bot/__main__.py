"""``python -m bot`` is the ``miru`` command."""

import sys

from bot.cli import main

sys.exit(main())
