"""``python -m intervention_rules``: the command line."""

from .cli import main

raise SystemExit(main())
