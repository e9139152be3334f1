"""`python -m tilewise.cli`: the same as the `tilewise` command."""

import sys

from tilewise.cli import main

sys.exit(main())
