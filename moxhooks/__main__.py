"""python -m moxhooks: the moxhooks command."""

from moxhooks.cli import main

raise SystemExit(main())
