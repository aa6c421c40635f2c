"""``python -m lofi_assets.cli``: the ``lofi`` command."""

import sys

from lofi_assets.cli import main

sys.exit(main())
