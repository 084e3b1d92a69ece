"""python -m moxhooks: the moxhooks command."""

from moxhooks.cli.main import main

raise SystemExit(main())
