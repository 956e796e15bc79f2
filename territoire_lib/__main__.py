"""`python -m territoire_lib`: the same as the `territoire` command (layer « applications »)."""

import sys

from .cli import main

sys.exit(main())
