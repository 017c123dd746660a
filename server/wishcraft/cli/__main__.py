"""`python -m wishcraft.cli`: the `wishcraft` command."""

import sys

from wishcraft.cli import main

sys.exit(main())
