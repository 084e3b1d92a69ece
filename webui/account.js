// The account page: the suppression list, one entry, add, import/export, health, and the
// reports received (bounce and complaint mailbox).
// Views are chosen by the URL fragment: #list, #entry/<id>, #add, #transfer, #health,
// #reports, #report/<id>.

import { ErrorCode, call } from "./api.js";
import { $, count, debounce, el, fill, showError, showOnly, size, table, when } from "./dom.js";
import { loadHealth } from "./health.js";
import { setupSession } from "./session.js";
import { forgetTransfer, setupTransfer } from "./transfer.js";
import {
  FEEDBACK_TYPES,
  KINDS,
  MOX_STATES,
  SOURCES,
  inboundStatusWords,
  kindWords,
  reportTypeWords,
  scopeWords,
  sourceWords,
} from "./words.js";

const VIEWS = ["view-list", "view-entry", "view-add", "view-transfer", "view-health", "view-reports", "view-report"];
const PAGE_SIZE = 50;
const TITLE = "Suppression list · moxhooks";

let account = null; // The signed-in account's name, for the API paths.
let listOffset = 0;
// Paging of the reports by id: the `before` of each page shown so far (0: the newest).
let reportPages = [0];
let flash = null; // A message to show after the next view change.

const api = (path) => `api/v1/accounts/${encodeURIComponent(account)}/${path}`;

const session = setupSession({
  role: "account",
  loginPath: "api/v1/login",
  credentials: () => ({
    email: $("signin-email").value.trim(),
    password: $("signin-password").value,
  }),
  onSignedIn(s, changed) {
    account = s.account;
    $("who").textContent = s.email || s.account;
    $("nav").hidden = false;
    if (changed) {
      listOffset = 0;
      reportPages = [0];
    }
    route(false);
  },
  onSignedOut() {
    account = null;
    forget();
  },
});

/** Remove everything the signed-in user saw from the page. */
function forget() {
  $("who").textContent = "";
  $("nav").hidden = true;
  showOnly(VIEWS, null);
  for (const id of ["list-table", "list-summary", "page-info", "entry-title", "entry-body",
    "add-blocks", "health-warnings", "health-totals", "chart-bounce", "chart-complaint",
    "health-kinds", "health-days", "reports-table", "reports-summary", "reports-page",
    "report-title", "report-body"]) {
    fill($(id));
  }
  $("filters").reset();
  $("reports-filters").reset();
  reportPages = [0];
  $("f-scope-field").hidden = true;
  $("add-form").reset();
  forgetTransfer();
  banner(null);
  document.title = TITLE;
  listOffset = 0;
}

/** Show an error (or a success message, ok=true) above the current view; null hides both. */
function banner(message, ok = false) {
  showError($("app-error"), ok ? null : message);
  const status = $("app-status");
  status.hidden = !ok || !message;
  fill(status, ok && message ? message : "");
}

function failed(err) {
  if (err.name !== "AbortError") {
    banner(err);
  }
}

// ---- Routing ---------------------------------------------------------------------

function route(focus) {
  if (account === null) {
    return;
  }
  const [view, arg] = (location.hash.slice(1) || "list").split("/");
  banner(null);
  if (flash) {
    banner(flash, true);
    flash = null;
  }
  document.title = TITLE;
  const known = ["list", "entry", "add", "transfer", "health", "reports", "report"];
  const name = known.includes(view) ? view : "list";
  showOnly(VIEWS, "view-" + name);
  const section = name === "report" ? "reports" : name;
  for (const a of $("nav").querySelectorAll("a")) {
    if (a.dataset.view === section) {
      a.setAttribute("aria-current", "page");
    } else {
      a.removeAttribute("aria-current");
    }
  }
  if (focus) {
    const heading = $("view-" + name).querySelector("h1");
    heading.tabIndex = -1;
    heading.focus();
  }
  if (name === "list") {
    loadList();
  } else if (name === "entry") {
    showEntry(arg);
  } else if (name === "health") {
    loadHealth(api, failed);
  } else if (name === "reports") {
    loadReports();
  } else if (name === "report") {
    showReport(arg);
  }
}

function go(hash, message) {
  flash = message || null;
  if (location.hash === hash) {
    route(true);
  } else {
    location.hash = hash;
  }
}

window.addEventListener("hashchange", () => route(true));

// ---- The list --------------------------------------------------------------------

for (const [value, words] of Object.entries(KINDS)) {
  $("f-kind").append(el("option", { value }, words));
}
for (const [value, words] of Object.entries(SOURCES)) {
  $("f-source").append(el("option", { value }, words));
}

let listAbort = null;

async function loadList() {
  listAbort?.abort();
  const abort = new AbortController();
  listAbort = abort;
  const query = {
    search: $("f-search").value.trim(),
    kind: $("f-kind").value,
    source: $("f-source").value,
    scope: $("f-scope-mode").value === "topic" ? $("f-scope").value.trim() : $("f-scope-mode").value,
    active: $("f-active").value,
    expiring: $("f-expiring").checked ? "true" : "",
    limit: PAGE_SIZE,
    offset: listOffset,
  };
  $("list-table").setAttribute("aria-busy", "true");
  $("list-summary").textContent = "Loading…";
  try {
    const answer = await call(api("suppressions"), { query, signal: abort.signal });
    if (listAbort === abort) {
      renderList(answer, query);
    }
  } catch (err) {
    if (err.name !== "AbortError") {
      $("list-summary").textContent = "The list could not be loaded.";
      failed(err);
    }
  } finally {
    if (listAbort === abort) {
      $("list-table").removeAttribute("aria-busy");
    }
  }
}

function renderList(answer, query) {
  const entries = answer.entries || [];
  const filtered = query.search || query.kind || query.source || query.scope || query.expiring;
  if (entries.length === 0) {
    fill($("list-table"));
    $("list-summary").textContent =
      listOffset > 0 ? "No more entries." : filtered ? "No entries match." : "The list is empty.";
  } else {
    const first = answer.offset + 1;
    const last = answer.offset + entries.length;
    $("list-summary").textContent = `Entries ${count(first)} to ${count(last)}` +
      (answer.has_more ? "" : first === 1 ? " (all)" : " (end of the list)");
    fill(
      $("list-table"),
      table(
        [
          {
            label: "Address",
            class: "address",
            cell: (e) => el("a", { href: `#entry/${e.id}` }, e.original_address),
          },
          { label: "Applies to", cell: (e) => scopeWords(e.scope) },
          { label: "Why", cell: (e) => el("span", { title: e.kind }, kindWords(e.kind)) },
          { label: "Source", cell: (e) => sourceWords(e.source) },
          { label: "Added", cell: (e) => when(e.created) },
          {
            label: "Expires",
            cell: (e) =>
              e.active
                ? when(e.expires, "never")
                : el("span", { class: "ended" }, "ended ", when(e.ended)),
          },
        ],
        entries,
        { id: "list", class: "list" },
      ),
    );
  }
  $("page-info").textContent = entries.length ? `Page ${count(Math.floor(listOffset / PAGE_SIZE) + 1)}` : "";
  $("page-prev").disabled = listOffset === 0;
  $("page-next").disabled = !answer.has_more;
}

const searchSoon = debounce(() => {
  listOffset = 0;
  loadList();
}, 250);
$("f-search").addEventListener("input", searchSoon);
$("f-scope").addEventListener("input", searchSoon);
$("filters").addEventListener("change", (ev) => {
  if (ev.target.id === "f-scope-mode") {
    $("f-scope-field").hidden = ev.target.value !== "topic";
  }
  if (ev.target.id !== "f-search" && ev.target.id !== "f-scope") {
    listOffset = 0;
    loadList();
  }
});
$("filters").addEventListener("submit", (ev) => {
  ev.preventDefault();
  listOffset = 0;
  loadList();
});
$("page-prev").addEventListener("click", () => {
  listOffset = Math.max(0, listOffset - PAGE_SIZE);
  loadList();
});
$("page-next").addEventListener("click", () => {
  listOffset += PAGE_SIZE;
  loadList();
});

// ---- One entry -------------------------------------------------------------------

let shownEntry = null;

async function showEntry(id) {
  shownEntry = null;
  $("entry-remove").hidden = true;
  fill($("entry-title"), "Entry");
  fill($("entry-body"), el("p", { class: "muted" }, "Loading…"));
  if (!/^\d+$/.test(id || "")) {
    fill($("entry-body"), el("p", { class: "error" }, "There is no such entry."));
    return;
  }
  let answer;
  try {
    answer = await call(api(`suppressions/${id}`));
  } catch (err) {
    fill($("entry-body"));
    failed(err);
    return;
  }
  const e = answer.entry;
  shownEntry = e;
  document.title = `${e.original_address} · moxhooks`;
  fill($("entry-title"), e.original_address);
  const rows = [
    ["Status", e.active ? "On the list: mail to this address is not sent" : "Ended: mail is sent again"],
    ["Why", el("span", {}, kindWords(e.kind), " ", el("code", {}, e.kind))],
    ["Reply or note", e.reason ? el("pre", { class: "reply" }, e.reason) : el("span", { class: "muted" }, "none")],
    ["Applies to", scopeWords(e.scope)],
    ["Base address", el("span", { class: "address" }, e.base_address)],
    ["Source", `${sourceWords(e.source)}${e.created_by ? ", by " + e.created_by : ""}`],
    ["Added", when(e.created)],
    ["Expires", when(e.expires, "never")],
    ["In mox", MOX_STATES[e.mox_state] || e.mox_state],
  ];
  if (!e.active) {
    rows.push([
      "Ended",
      el("span", {}, when(e.ended), e.ended_by ? ` by ${e.ended_by}` : "", e.end_reason ? `: ${e.end_reason}` : ""),
    ]);
  }
  const blocks = answer.also_blocks;
  const events = answer.events || [];
  const history = answer.history || [];
  const reports = answer.reports || [];
  fill(
    $("entry-body"),
    el("dl", { class: "facts" }, rows.map(([k, v]) => [el("dt", {}, k), el("dd", {}, v)])),
    blocks && blocks.explanation
      ? el("div", { class: "note", id: "entry-blocks" }, el("h2", {}, "This entry also blocks"), el("p", {}, blocks.explanation))
      : null,
    reports.length
      ? [
          el("h2", {}, "Reports behind this entry"),
          el("p", { class: "muted" }, "Bounces and complaints received as mail that led to this entry or named its address."),
          el(
            "div",
            { class: "table-wrap" },
            table(
              [
                { label: "Received", cell: (r) => when(r.received) },
                { label: "Type", cell: (r) => reportTypeWords(r.report_type) },
                { label: "Report", class: "detail", cell: (r) => el("a", { href: `#report/${r.id}` }, r.subject || `Report ${r.id} (no subject)`) },
                { label: "From", class: "detail", cell: (r) => r.mail_from || "" },
                { label: "What was done", class: "detail", cell: (r) => el("span", {}, el("code", {}, r.decision), r.detail ? `: ${r.detail}` : "") },
              ],
              reports,
              { id: "entry-reports" },
            ),
          ),
        ]
      : null,
    el("h2", {}, "Delivery events"),
    events.length
      ? el(
          "div",
          { class: "table-wrap" },
          table(
            [
              { label: "Received", cell: (v) => when(v.received) },
              { label: "Event", cell: (v) => v.event },
              { label: "Why", cell: (v) => (v.kind ? kindWords(v.kind) : "") },
              { label: "Decision", cell: (v) => v.decision || "" },
              { label: "Details", class: "detail", cell: (v) => v.detail || "" },
            ],
            events,
            { id: "entry-events" },
          ),
        )
      : el("p", { class: "muted" }, "No delivery events led to this entry."),
    el("h2", {}, "History"),
    history.length
      ? el(
          "ol",
          { class: "history", id: "entry-history" },
          history.map((h) =>
            el("li", {}, when(h.at), " ", el("strong", {}, h.action), h.actor ? ` by ${h.actor}` : "", h.detail ? `: ${h.detail}` : ""),
          ),
        )
      : el("p", { class: "muted" }, "No history."),
  );
  $("entry-remove").hidden = !e.active;
}

$("entry-remove").addEventListener("click", () => {
  if (!shownEntry) {
    return;
  }
  const dialog = $("remove-dialog");
  fill($("remove-address"), shownEntry.original_address);
  fill($("remove-mox"), shownEntry.scope === "" ? ", and it is removed from mox's list too" : ` with topic "${shownEntry.scope}"`);
  // Ending a complaint entry needs a reason (the API refuses it without one: reasonRequired).
  const complaint = shownEntry.kind === "complaint";
  $("remove-complaint").hidden = !complaint;
  $("remove-reason").required = complaint;
  fill($("remove-reason-hint"), complaint ? "(required, kept in the history)" : "(kept in the history)");
  $("remove-reason").value = "";
  dialog.returnValue = "";
  dialog.showModal();
  $("remove-reason").focus();
});

$("remove-dialog").addEventListener("close", async () => {
  const entry = shownEntry;
  if ($("remove-dialog").returnValue !== "remove" || !entry) {
    $("entry-remove").focus();
    return;
  }
  $("entry-remove").disabled = true;
  try {
    await call(api(`suppressions/${entry.id}`), {
      method: "DELETE",
      json: { reason: $("remove-reason").value.trim() },
    });
    go("#list", `Removed ${entry.original_address} from the list.`);
  } catch (err) {
    failed(err);
  } finally {
    $("entry-remove").disabled = false;
  }
});

// ---- Add -------------------------------------------------------------------------

let blocksAbort = null;

async function previewBlocks() {
  blocksAbort?.abort();
  const address = $("add-address").value.trim();
  if (!address) {
    fill($("add-blocks"));
    return;
  }
  const abort = new AbortController();
  blocksAbort = abort;
  try {
    const answer = await call(api("blocks"), { query: { address }, signal: abort.signal });
    const listed = answer.blocked_by || [];
    fill(
      $("add-blocks"),
      el("p", {}, answer.explanation),
      listed.length
        ? el(
            "p",
            { class: "warn" },
            "Already on the list: ",
            listed.map((e, i) => [i ? ", " : "", el("a", { href: `#entry/${e.id}` }, e.original_address), ` (${scopeWords(e.scope)})`]),
            ".",
          )
        : null,
    );
  } catch (err) {
    if (err.name === "AbortError") {
      return;
    }
    if (err.status === 400) {
      fill($("add-blocks"), el("p", { class: "muted" }, "Not a valid address yet: " + err.message));
    } else {
      fill($("add-blocks"));
      failed(err);
    }
  }
}

$("add-address").addEventListener("input", debounce(previewBlocks, 300));
$("add-expiry").addEventListener("change", () => {
  const byDate = $("add-expiry").value === "date";
  $("add-date-field").hidden = !byDate;
  $("add-date").required = byDate;
});

$("add-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  showError($("add-error"), null);
  const address = $("add-address").value.trim();
  if (!address) {
    showError($("add-error"), { message: "Enter the email address to add." });
    $("add-address").focus();
    return;
  }
  const body = { address };
  const scope = $("add-scope").value.trim();
  if (scope) {
    body.scope = scope;
  }
  const expiry = $("add-expiry").value;
  if (expiry === "date") {
    const date = $("add-date").value;
    if (!date) {
      showError($("add-error"), { message: "Choose the date the entry ends." });
      $("add-date").focus();
      return;
    }
    body.expires = new Date(date + "T23:59:59").toISOString();
  } else if (expiry) {
    body.expires = expiry;
  }
  const reason = $("add-reason").value.trim();
  if (reason) {
    body.reason = reason;
  }
  $("add-submit").disabled = true;
  try {
    const entry = await call(api("suppressions"), { method: "POST", json: body });
    $("add-form").reset();
    $("add-date-field").hidden = true;
    fill($("add-blocks"));
    go("#list", el("span", {}, "Added ", el("a", { href: `#entry/${entry.id}` }, entry.original_address), " to the list."));
  } catch (err) {
    showError($("add-error"), err);
    if (err.code === ErrorCode.ALREADY_SUPPRESSED && err.body && err.body.id) {
      $("add-error").append(" ", el("a", { href: `#entry/${err.body.id}` }, "Open the entry."));
    }
  } finally {
    $("add-submit").disabled = false;
  }
});

setupTransfer(api, () => account);

// ---- Reports received ------------------------------------------------------------

const REPORTS_PAGE = 50;
let reportsAbort = null;

/** A message's status as a badge; not recognised and given up stand out. */
function statusBadge(status) {
  return el("span", { class: `badge status-${status}` }, inboundStatusWords(status));
}

async function loadReports() {
  reportsAbort?.abort();
  const abort = new AbortController();
  reportsAbort = abort;
  const query = {
    status: $("r-status").value,
    limit: REPORTS_PAGE,
    before: reportPages[reportPages.length - 1] || "",
  };
  $("reports-table").setAttribute("aria-busy", "true");
  $("reports-summary").textContent = "Loading…";
  try {
    const answer = await call(api("inbound"), { query, signal: abort.signal });
    if (reportsAbort === abort) {
      renderReports(answer, query);
    }
  } catch (err) {
    if (err.name !== "AbortError") {
      $("reports-summary").textContent = "The reports could not be loaded.";
      failed(err);
    }
  } finally {
    if (reportsAbort === abort) {
      $("reports-table").removeAttribute("aria-busy");
    }
  }
}

function renderReports(answer, query) {
  const messages = answer.messages || [];
  const page = reportPages.length;
  if (messages.length === 0) {
    fill($("reports-table"));
    $("reports-summary").textContent =
      page > 1 ? "No older messages." : query.status ? "No messages with this status." : "No reports have been received.";
  } else {
    $("reports-summary").textContent =
      `${count(messages.length)} message${messages.length === 1 ? "" : "s"}` +
      (answer.has_more ? ", older ones on the next page" : page > 1 ? " (the oldest)" : " (all)");
    fill(
      $("reports-table"),
      table(
        [
          { label: "Received", cell: (m) => when(m.received) },
          { label: "Type", cell: (m) => reportTypeWords(m.report_type) },
          { label: "From", class: "detail", cell: (m) => m.mail_from || "" },
          {
            label: "Subject",
            class: "detail",
            cell: (m) => el("a", { href: `#report/${m.id}` }, m.subject || `Report ${m.id} (no subject)`),
          },
          { label: "Status", cell: (m) => statusBadge(m.status) },
          { label: "Outcome", class: "detail", cell: (m) => m.outcome || "" },
        ],
        messages,
        { id: "reports", class: "list" },
        (m) => ({ class: m.status === "unparsed" || m.status === "failed" ? `attention status-${m.status}` : null }),
      ),
    );
  }
  $("reports-page").textContent = messages.length || page > 1 ? `Page ${count(page)}` : "";
  $("reports-prev").disabled = page === 1;
  $("reports-next").disabled = !answer.has_more;
  $("reports-next").dataset.before = messages.length ? String(messages[messages.length - 1].id) : "";
}

$("reports-filters").addEventListener("change", () => {
  reportPages = [0];
  loadReports();
});
$("reports-filters").addEventListener("submit", (ev) => {
  ev.preventDefault();
  reportPages = [0];
  loadReports();
});
$("reports-prev").addEventListener("click", () => {
  if (reportPages.length > 1) {
    reportPages.pop();
    loadReports();
  }
});
$("reports-next").addEventListener("click", () => {
  const before = Number($("reports-next").dataset.before || 0);
  if (before) {
    reportPages.push(before);
    loadReports();
  }
});

/** Parsed recipients joined with what was done for each (results, by recipient). */
function recipientRows(parsed, results) {
  const left = results.slice();
  const rows = ((parsed && parsed.recipients) || []).map((r) => {
    const i = left.findIndex((x) => x.recipient === r.address);
    const result = i >= 0 ? left.splice(i, 1)[0] : null;
    return { address: r.address, kind: r.kind, action: r.action, status: r.status, diagnostic: r.diagnostic, result };
  });
  for (const x of left) {
    rows.push({ address: x.recipient, kind: x.kind, action: x.action, status: "", diagnostic: "", result: x });
  }
  return rows;
}

function whatWasDone(row, messageStatus) {
  const r = row.result;
  if (!r) {
    return el("span", { class: "muted" }, messageStatus === "done" ? "nothing" : "not applied");
  }
  return el(
    "span",
    {},
    el("code", {}, r.decision),
    r.detail ? `: ${r.detail}` : "",
    r.entry_id ? [" ", el("a", { href: `#entry/${r.entry_id}` }, "Open the entry")] : "",
  );
}

async function showReport(id) {
  fill($("report-title"), "Report");
  fill($("report-body"), el("p", { class: "muted" }, "Loading…"));
  if (!/^\d+$/.test(id || "")) {
    fill($("report-body"), el("p", { class: "error" }, "There is no such report."));
    return;
  }
  let answer;
  try {
    answer = await call(api(`inbound/${id}`));
  } catch (err) {
    fill($("report-body"));
    failed(err);
    return;
  }
  const m = answer.message;
  const parsed = answer.parsed;
  const results = answer.results || [];
  const title = m.subject || `Report ${m.id} (no subject)`;
  document.title = `${title} · moxhooks`;
  fill($("report-title"), title);
  const facts = [
    ["Status", el("span", {}, statusBadge(m.status), m.status === "unparsed" ? " Not recognised as a bounce or complaint; kept as it is for a person to read." : m.status === "failed" ? " moxhooks gave up reading this message." : "")],
    ["Type", reportTypeWords(m.report_type)],
    ["Received", when(m.received)],
    ["From", m.mail_from || el("span", { class: "muted" }, "none")],
    ["To", m.rcpt_to || el("span", { class: "muted" }, "unknown")],
    ["Message-ID", m.message_id ? el("code", {}, m.message_id) : el("span", { class: "muted" }, "none")],
    ["Came in", m.source === "imap" ? "read from the mailbox over IMAP" : "from mox's incoming webhook"],
    ["Outcome", m.outcome || el("span", { class: "muted" }, "none yet")],
  ];
  const reportFacts = [];
  if (parsed) {
    reportFacts.push(["Type", reportTypeWords(parsed.type)]);
    if (parsed.feedback_type) {
      reportFacts.push(["Feedback type", el("span", {}, FEEDBACK_TYPES[parsed.feedback_type] || parsed.feedback_type, " ", el("code", {}, parsed.feedback_type))]);
    }
    if (parsed.type !== "unparsed" || parsed.reporter) {
      reportFacts.push(["Reporter", parsed.reporter || el("span", { class: "muted" }, "not named")]);
    }
    if (parsed.type !== "unparsed" || parsed.reason) {
      reportFacts.push(["Reason", parsed.reason ? el("pre", { class: "reply" }, parsed.reason) : el("span", { class: "muted" }, "none given")]);
    }
    if (parsed.original_message_id) {
      reportFacts.push(["About the message", el("code", {}, parsed.original_message_id)]);
    }
    if (parsed.problems && parsed.problems.length) {
      reportFacts.push(["Problems", el("ul", { class: "plain" }, parsed.problems.map((p) => el("li", {}, p)))]);
    }
  }
  const recipients = recipientRows(parsed, results);
  const dl = (rows, attrs) => el("dl", { class: "facts", ...attrs }, rows.map(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
  fill(
    $("report-body"),
    dl(facts, { id: "report-facts" }),
    el("h2", {}, "The report"),
    parsed
      ? dl(reportFacts, { id: "report-parsed" })
      : el("p", { class: "muted", id: "report-parsed" }, m.status === "pending" ? "Not read yet." : "No report was read from this message."),
    el("h2", {}, "Recipients"),
    recipients.length
      ? el(
          "div",
          { class: "table-wrap" },
          table(
            [
              { label: "Recipient", class: "address", cell: (r) => r.address },
              { label: "Why", cell: (r) => (r.kind ? el("span", { title: r.kind }, kindWords(r.kind)) : el("span", { class: "muted" }, "no failure")) },
              { label: "Report says", class: "detail", cell: (r) => el("span", {}, r.action || "", r.status ? ` ${r.status}` : "", r.diagnostic ? `: ${r.diagnostic}` : "") },
              { label: "What was done", class: "detail", cell: (r) => whatWasDone(r, m.status) },
            ],
            recipients,
            { id: "report-recipients" },
          ),
        )
      : el("p", { class: "muted" }, "The report names no recipients."),
    el("h2", { id: "report-raw-title" }, "The message as received"),
    m.raw_truncated
      ? el("p", { class: "warn" }, `Only the first 1 MB of the message is shown (it has ${size(m.size || 0)}).`)
      : null,
    m.raw === null || m.raw === undefined
      ? el("p", { class: "muted" }, "The message has not been fetched from mox.")
      // As text: the message is written by whoever sent it.
      : el("pre", { class: "raw", id: "report-raw", tabindex: "0", "aria-labelledby": "report-raw-title" }, m.raw),
  );
}

// ---- Start -----------------------------------------------------------------------

$("loading").hidden = true;
session.start().catch((err) => {
  $("signin").hidden = true;
  $("app").hidden = false;
  failed(err);
});
