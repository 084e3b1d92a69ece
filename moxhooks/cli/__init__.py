"""The moxhooks command: serve, setup, sync, check, suppressions, events.

Exit codes, for every command:
  0  done (check: the address is not suppressed)
  1  done, and the answer is "no": check found the address suppressed, add found it
     already present, remove found no entry, setup or sync failed for an account
  2  usage, configuration or input error (bad address, unknown account, unreadable file)

Commands that change entries never need mox: changes wait in the outbox and reach
mox on the next `serve` or `sync`; add and remove push at once when mox answers.

Modules: main (the entry point), parser (the argparse tree), serve (serve, setup,
sync), entries (check, suppressions list/add/remove, events), transfer (CSV import and
export), output (tables, progress bars), common (what they share). This package's own
module imports nothing, so that its modules can import each other without a circle.
"""
