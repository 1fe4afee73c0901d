"""``python -m bot`` is the ``miru`` command."""

import sys

from bot.cli.main import main

sys.exit(main())
