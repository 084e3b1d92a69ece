// Plain words for the machine-readable vocabularies (moxhooks/kinds.py).

export const KINDS = {
  mailbox_unknown: "The mailbox does not exist",
  domain_unknown: "The domain does not exist or accepts no mail",
  mailbox_disabled: "The mailbox is disabled or suspended",
  mailbox_full: "The mailbox is full",
  content_rejected: "The message was rejected for its content",
  sender_blocked: "The sender was blocked",
  rate_limited: "The receiver asked to slow down",
  message_too_large: "The message was too large",
  expired: "Delivery gave up after retries",
  transient: "A temporary failure",
  complaint: "Reported as spam",
  unsubscribed: "Unsubscribed",
  manual: "Added by a person",
  undetermined: "Failure not recognised",
};

export const SOURCES = {
  webhook: "delivery report",
  mox: "found in mox",
  complaint: "complaint report",
  unsubscribe: "unsubscribe link",
  manual: "added here",
  import: "CSV import",
  report: "report",
  bounce: "bounce report (mailbox)",
};

export const MOX_STATES = {
  "n/a": "not in mox (mox knows only account-wide entries)",
  pending_add: "waiting to be added to mox",
  synced: "in mox's list",
  pending_remove: "waiting to be removed from mox",
  removed: "removed from mox",
  error: "mox refused the change",
};

export function kindWords(kind) {
  return KINDS[kind] || kind || "unknown";
}

export function sourceWords(source) {
  return SOURCES[source] || source || "unknown";
}

export function scopeWords(scope) {
  return scope ? `topic "${scope}"` : "all mail";
}

// The bounce and complaint mailbox (moxhooks/store/inbound.py).

export const REPORT_TYPES = {
  dsn: "Delivery status notification (DSN)",
  arf: "Feedback report (ARF)",
  bounce: "Bounce",
  autoreply: "Autoreply",
  unparsed: "Not a report",
};

export const INBOUND_STATUSES = {
  pending: "waiting to be read",
  done: "read",
  unparsed: "not recognised",
  failed: "given up",
};

/** ARF Feedback-Type values in words. */
export const FEEDBACK_TYPES = {
  abuse: "abuse: reported as spam",
  fraud: "fraud",
  virus: "virus",
  other: "other complaint",
  "not-spam": "not spam",
  "opt-out": "opt-out: asked not to be mailed",
  unsubscribe: "unsubscribe",
  "auth-failure": "authentication failure",
  dmarc: "DMARC failure",
};

export function reportTypeWords(type) {
  return type ? REPORT_TYPES[type] || type : "not read yet";
}

export function inboundStatusWords(status) {
  return INBOUND_STATUSES[status] || status || "unknown";
}
