"""`python -m wishcraft`: the `wishcraft` command."""

import sys

from wishcraft.cli import main

sys.exit(main())
