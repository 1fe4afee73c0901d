"""``python -m bot`` is the ``miru`` command."""

import sys

from bot.cli.main import main

# Guarded: a process pool started with "spawn" (``miru receipt``) imports this module in every
# worker, which must not run the command line again.
if __name__ == "__main__":
    sys.exit(main())
