"""Names and limits the PostgreSQL backend's modules share (no imports: any module may
import it without a circle)."""

# Seconds to wait for the server when connecting.
CONNECT_TIMEOUT = 10.0

# The channel notified when an event is committed (PgEventStore.receive, outbox rows'
# events): nodes' event processors LISTEN on it. A notification is a hint that work is
# there, sent at commit; processors look on a timer as well, since one is not kept for a
# node that was not listening.
EVENTS_CHANNEL = "moxhooks_events"

# The channel notified when an outbox row is committed: the node holding the sync's lock
# listens (PgDatabase.watch) and pushes it without waiting for its next look.
OUTBOX_CHANNEL = "moxhooks_outbox"
