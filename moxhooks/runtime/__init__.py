"""The wiring of moxhooks' two processes, each building only what it runs.

- web.py: WebRuntime, the web process's (the store, webhook intake, the mox client for
  the API's own calls, metrics, sessions and secrets, a handle on the worker).
- worker.py: WorkerRuntime, the worker process's (event processing, sync with mox,
  automatic holds, the bounce mailbox and its IMAP reader, database checkpoints).
- supervisor.py: the web process's handle on the worker: a process of its own under
  `moxhooks serve`, or a task of the same event loop in tests that move the clock.
- messages.py: what the two say to each other over their socket pair.
- resources.py: opening the store and the mox client (both processes and the CLI).
"""
