"""The jobs: processing events, syncing with mox, holds, the bounce mailbox, reports, the relay, unsubscribe links."""
