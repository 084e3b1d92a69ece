// The admin page: all accounts at a glance, the bounce mailbox, mox queue hold rules,
// the audit log.

import { call } from "./api.js";
import { $, count, el, fill, percent, showError, table, when } from "./dom.js";
import { setupSession } from "./session.js";

const session = setupSession({
  role: "admin",
  loginPath: "api/v1/admin/login",
  credentials: () => ({ password: $("signin-password").value }),
  onSignedIn() {
    $("who").textContent = "mox admin";
    $("nav").hidden = false;
    loadAll();
  },
  onSignedOut() {
    $("who").textContent = "";
    $("nav").hidden = true;
    for (const id of ["accounts-table", "mox-reach", "inbound-body", "holdrules-table", "autoholds-table", "audit-table", "hr-accounts", "hr-mox"]) {
      fill($(id));
    }
    $("hr-mox-field").hidden = true;
    $("holdrule-form").reset();
    ruleStatus(null);
  },
});

/** An error, or with ok=true a success message, above the sections; null hides both. */
function banner(message, ok = false) {
  showError($("app-error"), ok ? null : message);
  $("app-status").hidden = !ok || !message;
  fill($("app-status"), ok && message ? message : "");
}

/** A message (or an error) next to the hold rules, where the button was pressed. */
function ruleStatus(message, err = null) {
  banner(null);
  const node = $("holdrules-status");
  node.className = err ? "error banner" : "ok banner";
  node.hidden = !message && !err;
  fill(node, err ? `${err.message}${err.code ? ` (${err.code})` : ""}` : message || "");
}

/** Ask with the confirmation dialog; resolves true when the user confirms. */
function confirmDialog(title, text, okLabel) {
  const dialog = $("confirm-dialog");
  fill($("confirm-title"), title);
  fill($("confirm-text"), text);
  fill($("confirm-ok"), okLabel);
  dialog.returnValue = "";
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
    dialog.showModal();
    $("confirm-cancel").focus();
  });
}

const any = (value, words) => value || el("span", { class: "muted" }, words);

function loadAll() {
  banner(null);
  loadAccounts();
  loadHoldRules();
  loadAudit();
}

// ---- Accounts --------------------------------------------------------------------

async function loadAccounts() {
  $("accounts-table").setAttribute("aria-busy", "true");
  try {
    const answer = await call("api/v1/admin/accounts");
    const reach = $("mox-reach");
    const servers = answer.mox_servers || [];
    renderMoxPicker(servers);
    if (servers.length > 1) {
      // Several mox servers: each one's state, those not ok first named.
      const down = servers.filter((m) => !m.ok);
      reach.className = "banner " + (down.length ? "error" : "ok");
      fill(
        reach,
        down.length
          ? down.map((m) => `mox ${m.name} is not reachable${m.error ? ": " + m.error : ""}.`).join(" ") + " Changes for it wait in the outbox."
          : `All ${servers.length} mox servers are reachable.`,
      );
    } else {
      reach.className = "banner " + (answer.mox_reachable ? "ok" : "error");
      fill(
        reach,
        answer.mox_reachable
          ? "mox is reachable."
          : `mox is not reachable${answer.mox_error ? ": " + answer.mox_error : ""}. Changes wait in the outbox.`,
      );
    }
    const accounts = answer.accounts || [];
    fill(
      $("accounts-table"),
      table(
        [
          { label: "Account", cell: (a) => el("span", {}, el("strong", {}, a.name), a.login ? el("span", { class: "muted" }, " ", a.login) : null) },
          { label: "On the list", class: "num", cell: (a) => count(a.suppressions) },
          { label: "Sent (30 days)", class: "num", cell: (a) => count(a.sent_30d) },
          { label: "Bounce rate", class: "num", cell: (a) => percent(a.bounce_rate) },
          { label: "Complaint rate", class: "num", cell: (a) => percent(a.complaint_rate, 3) },
          { label: "Unresolved events", class: "num", cell: (a) => count(a.unresolved_events) + (a.abandoned_events ? ` (+${count(a.abandoned_events)} given up)` : "") },
          { label: "Waiting for mox", class: "num", cell: (a) => count(a.outbox_backlog) },
          { label: "Sync", class: "detail", cell: (a) => (a.sync_error ? el("span", { class: "error" }, a.sync_error) : a.last_reconcile ? el("span", {}, "checked ", when(a.last_reconcile)) : "not yet checked") },
        ],
        accounts,
        { id: "accounts-list" },
      ),
    );
    fill($("hr-accounts"), accounts.map((a) => el("option", { value: a.name })));
    renderInbound(accounts, answer.imap || []);
  } catch (err) {
    banner(err);
  } finally {
    $("accounts-table").removeAttribute("aria-busy");
  }
}

$("accounts-refresh").addEventListener("click", loadAccounts);
$("inbound-refresh").addEventListener("click", loadAccounts);

// ---- Bounce mailbox --------------------------------------------------------------

/** A count that stands out (class) when it is not zero. */
function flagged(n, cls) {
  return n ? el("span", { class: cls }, count(n)) : count(n);
}

function renderInbound(accounts, imap) {
  const configured = imap.length > 0 || accounts.some((a) => (a.inbound_addresses || []).length > 0);
  if (!configured) {
    fill(
      $("inbound-body"),
      el(
        "p",
        { class: "note", id: "inbound-none" },
        "No bounce mailbox is configured, so bounces and complaints that arrive as mail are not read. ",
        "List an account's report addresses (e.g. bounces@ and fbl@ of your domain) in ",
        el("code", {}, "accounts[].inbound_addresses"),
        " and run ",
        el("code", {}, "moxhooks setup"),
        ", which registers mox's incoming webhook; or have a mailbox read over IMAP with an ",
        el("code", {}, "[[imap]]"),
        " table in the configuration.",
      ),
    );
    return;
  }
  const n = (a, status) => (a.inbound || {})[status] || 0;
  fill(
    $("inbound-body"),
    el("h2", {}, "Messages kept"),
    el(
      "div",
      { class: "table-wrap" },
      table(
        [
          { label: "Account", cell: (a) => el("strong", {}, a.name) },
          {
            label: "Report addresses",
            class: "detail",
            cell: (a) => ((a.inbound_addresses || []).length ? a.inbound_addresses.join(", ") : el("span", { class: "muted" }, "none")),
          },
          { label: "Waiting", class: "num", cell: (a) => count(n(a, "pending")) },
          { label: "Read", class: "num", cell: (a) => count(n(a, "done")) },
          { label: "Not recognised", class: "num", cell: (a) => flagged(n(a, "unparsed"), "badge status-unparsed") },
          { label: "Given up", class: "num", cell: (a) => flagged(n(a, "failed"), "badge status-failed") },
        ],
        accounts,
        { id: "inbound-accounts", class: "counts" },
      ),
    ),
    el("h2", {}, "IMAP mailboxes"),
    imap.length
      ? el(
          "div",
          { class: "table-wrap" },
          table(
            [
              { label: "Account", cell: (m) => m.account },
              { label: "Mailbox", class: "detail", cell: (m) => el("span", {}, el("strong", {}, m.mailbox), ` on ${m.host}:${m.port}`) },
              { label: "Last look", cell: (m) => (m.last_pass ? when(m.last_pass) : el("span", { class: "muted" }, "not yet")) },
              {
                label: "Last error",
                class: "detail",
                cell: (m) => (m.last_error ? el("span", { class: "error" }, m.last_error) : el("span", { class: "muted" }, "none")),
              },
              { label: "Kept since the start", class: "num", cell: (m) => count(m.kept) },
            ],
            imap,
            { id: "imap-list" },
          ),
        )
      : el(
          "p",
          { class: "muted", id: "imap-none" },
          "No mailbox is read over IMAP ([[imap]] in the configuration); reports arrive through mox's incoming webhook.",
        ),
  );
}

// ---- Hold rules ------------------------------------------------------------------

/** mox: the server the rule is in, named only when there are several (see chosenMox). */
function describeRule(r, mox = "") {
  const parts = [r.account ? `account ${r.account}` : "every account"];
  if (r.sender_domain) {
    parts.push(`from ${r.sender_domain}`);
  }
  if (r.recipient_domain) {
    parts.push(`to ${r.recipient_domain}`);
  }
  return parts.join(", ") + (mox ? ` on mox ${mox}` : "");
}

/**
 * The picker of the mox server whose hold rules are shown, with the configured servers'
 * names; shown only when there are several. The choice is kept across refreshes.
 */
function renderMoxPicker(servers) {
  const picker = $("hr-mox");
  const names = servers.length > 1 ? servers.map((m) => m.name) : [];
  const chosen = names.includes(picker.value) ? picker.value : names[0] || "";
  const before = picker.value;
  fill(picker, names.map((name) => el("option", { value: name }, name)));
  picker.value = chosen;
  $("hr-mox-field").hidden = names.length === 0;
  if (chosen !== before) {
    // Newly shown: the rules listed so far are the first server's, under no name.
    loadHoldRules();
  }
}

/** The server chosen in the picker; "" (the API's first server) when it is not shown. */
function chosenMox() {
  return $("hr-mox").value;
}

$("hr-mox").addEventListener("change", () => {
  ruleStatus(null);
  loadHoldRules();
});

// Each load of the hold rules is numbered: only the latest one is shown, so an answer
// for the server chosen before does not replace the one chosen now.
let holdRulesLoad = 0;

async function loadHoldRules() {
  const load = ++holdRulesLoad;
  const mox = chosenMox();
  $("holdrules-table").setAttribute("aria-busy", "true");
  try {
    const answer = await call("api/v1/admin/holdrules", { query: { mox } });
    if (load !== holdRulesLoad) {
      return;
    }
    renderRules(answer.rules || [], mox);
    renderAutoHolds(answer.auto_holds || []);
  } catch (err) {
    if (load !== holdRulesLoad) {
      return;
    }
    fill($("holdrules-table"), el("p", { class: "muted" }, "The hold rules could not be loaded."));
    banner(err);
  } finally {
    if (load === holdRulesLoad) {
      $("holdrules-table").removeAttribute("aria-busy");
    }
  }
}

/** The rules of mox server mox (as chosenMox gave it): their buttons act in that server. */
function renderRules(rules, mox) {
  if (rules.length === 0) {
    fill($("holdrules-table"), el("p", { class: "muted", id: "holdrules-empty" }, `No hold rules: mox${mox ? " " + mox : ""} sends everything.`));
    return;
  }
  fill(
    $("holdrules-table"),
    table(
      [
        { label: "Rule", cell: (r) => `#${r.id}` },
        { label: "Account", cell: (r) => any(r.account, "any") },
        { label: "Sender domain", cell: (r) => any(r.sender_domain, "any") },
        { label: "Recipient domain", cell: (r) => any(r.recipient_domain, "any") },
        {
          label: "Why",
          cell: (r) =>
            r.auto
              ? el("span", {}, el("strong", {}, "automatic: "), r.auto.reason || "", r.auto.lift_after ? [" (lifted after ", when(r.auto.lift_after), ")"] : "")
              : "added by hand",
        },
        {
          label: "Actions",
          class: "actions",
          cell: (r) => [
            el("button", { type: "button", class: "quiet", "aria-label": `Release the messages held by rule ${r.id}`, onclick: () => release(r, mox) }, "Release held"),
            " ",
            el("button", { type: "button", class: "danger", "aria-label": `Remove rule ${r.id}`, onclick: () => removeRule(r, mox) }, "Remove"),
          ],
        },
      ],
      rules,
      { id: "holdrules-list" },
    ),
  );
}

function renderAutoHolds(holds) {
  fill(
    $("autoholds-table"),
    holds.length
      ? table(
          [
            { label: "Recipient domain", cell: (h) => h.recipient_domain },
            { label: "Mox server", cell: (h) => h.mox },
            { label: "Account", cell: (h) => any(h.account, "any") },
            { label: "Why", class: "detail", cell: (h) => h.reason || "" },
            { label: "Held since", cell: (h) => when(h.created) },
            {
              label: "Status",
              cell: (h) =>
                h.active
                  ? el("span", {}, "holding, lifted after ", when(h.lift_after))
                  : el("span", { class: "muted" }, "lifted ", when(h.lifted), h.lifted_by ? ` by ${h.lifted_by}` : "", `; released ${count(h.released)}`),
            },
            { label: "Problem", class: "detail", cell: (h) => h.last_error || "" },
          ],
          holds,
          { id: "autoholds-list" },
        )
      : el("p", { class: "muted" }, "moxhooks has not held any mail by itself."),
  );
}

async function release(rule, mox) {
  try {
    const answer = await call(`api/v1/admin/holdrules/${rule.id}/release`, { method: "POST", query: { mox } });
    ruleStatus(`Released ${count(answer.released)} message(s) held by rule #${rule.id} (${describeRule(rule, mox)}).`);
    loadAudit();
  } catch (err) {
    ruleStatus(null, err);
  }
}

async function removeRule(rule, mox) {
  const ok = await confirmDialog(
    `Remove hold rule #${rule.id}?`,
    `New messages for ${describeRule(rule, mox)} are sent again. Messages already held stay held until released.`,
    "Remove rule",
  );
  if (!ok) {
    return;
  }
  try {
    await call(`api/v1/admin/holdrules/${rule.id}`, { method: "DELETE", query: { mox } });
    ruleStatus(`Removed hold rule #${rule.id} (${describeRule(rule, mox)}).`);
    loadHoldRules();
    loadAudit();
  } catch (err) {
    ruleStatus(null, err);
  }
}

const ruleFields = ["hr-account", "hr-sender", "hr-recipient"];

function allEmpty() {
  return ruleFields.every((id) => !$(id).value.trim());
}

function updateAllWarning() {
  $("hr-all-warning").hidden = !allEmpty();
}

for (const id of ruleFields) {
  $(id).addEventListener("input", updateAllWarning);
}
$("holdrule-form").addEventListener("reset", () => setTimeout(updateAllWarning));

$("holdrule-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  showError($("hr-error"), null);
  ruleStatus(null);
  // The server chosen when the button was pressed, not when the answer comes.
  const mox = chosenMox();
  const rule = {
    account: $("hr-account").value.trim(),
    sender_domain: $("hr-sender").value.trim(),
    recipient_domain: $("hr-recipient").value.trim(),
  };
  if (allEmpty()) {
    const ok = await confirmDialog(
      "Hold all outgoing mail?",
      `A rule with no account and no domains holds every message of every account${mox ? ` on mox ${mox}` : ""} until it is removed and the messages are released.`,
      "Hold everything",
    );
    if (!ok) {
      return;
    }
  }
  $("hr-submit").disabled = true;
  try {
    const added = await call("api/v1/admin/holdrules", { method: "POST", json: rule, query: { mox } });
    $("holdrule-form").reset();
    ruleStatus(`Added hold rule #${added.id} (${describeRule(added, mox)}).`);
    loadHoldRules();
    loadAudit();
  } catch (err) {
    showError($("hr-error"), err);
  } finally {
    $("hr-submit").disabled = false;
  }
});

// ---- Audit log -------------------------------------------------------------------

const AUDIT_PAGE = 100;
let auditOldest = null; // id of the oldest entry shown, for "older".

async function loadAudit(older = false) {
  $("audit-table").setAttribute("aria-busy", "true");
  try {
    const query = { limit: AUDIT_PAGE, before: older ? auditOldest : null };
    const entries = (await call("api/v1/admin/audit", { query })).entries || [];
    if (entries.length) {
      auditOldest = entries[entries.length - 1].id;
    }
    $("audit-older").hidden = entries.length < AUDIT_PAGE;
    const rows = table(
      [
        { label: "When", cell: (e) => when(e.at) },
        { label: "Account", cell: (e) => any(e.account, "-") },
        { label: "What", cell: (e) => e.action },
        { label: "Who", cell: (e) => e.actor || "" },
        { label: "Details", class: "detail", cell: (e) => e.detail || "" },
      ],
      entries,
      { id: "audit-list" },
    );
    if (older && $("audit-list")) {
      $("audit-list").tBodies[0].append(...rows.tBodies[0].rows);
    } else if (entries.length) {
      fill($("audit-table"), rows);
    } else {
      fill($("audit-table"), el("p", { class: "muted" }, "Nothing has happened yet."));
    }
  } catch (err) {
    banner(err);
  } finally {
    $("audit-table").removeAttribute("aria-busy");
  }
}

$("audit-older").addEventListener("click", () => loadAudit(true));
$("audit-refresh").addEventListener("click", () => loadAudit());

// ---- Start -----------------------------------------------------------------------

$("loading").hidden = true;
session.start().catch((err) => {
  $("signin").hidden = true;
  $("app").hidden = false;
  banner(err);
});
