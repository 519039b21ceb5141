"""Entry point for ``python -m cyc_geo``."""

import sys

from cyc_geo.cli import main

if __name__ == "__main__":
    sys.exit(main())
