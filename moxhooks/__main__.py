"""python -m moxhooks: the moxhooks command."""

from .cli import main

raise SystemExit(main())
