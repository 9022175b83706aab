"""``python -m dossier.cli``."""

import sys

from . import main

sys.exit(main())
