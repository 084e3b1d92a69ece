// The recipient's preference page, /u/<token>: no account, the token in the URL is the key.
// Loading it changes nothing; every change is a button or switch the reader uses.

import { $, el, fill } from "./dom.js";

// The page's JSON API: /u/<token>/prefs, with a header a cross-site form cannot send.
const PREFS = location.pathname.replace(/\/+$/, "") + "/prefs";
const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });

let prefs = null;

async function call(method, body) {
  const headers = { "X-Requested-With": "moxhooks" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
  }
  const resp = await fetch(PREFS, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "omit",
    cache: "no-store",
  });
  let data = null;
  try {
    data = await resp.json();
  } catch {
    data = null;
  }
  if (!resp.ok) {
    throw new Error((data && data.message) || `the server answered ${resp.status}`);
  }
  return data;
}

function until(iso) {
  return iso ? dateFormat.format(new Date(iso)) : "";
}

/** A scope's state in words. */
function stateText(s) {
  switch (s.state) {
    case "subscribed":
      return "You receive this.";
    case "unsubscribed":
      return "Unsubscribed: you do not receive this.";
    case "paused":
      return `Paused until ${until(s.until)}.`;
    default:
      return s.until
        ? `Stopped until ${until(s.until)} for another reason (not by you).`
        : "Stopped for another reason (not by you); you cannot change it here.";
  }
}

function topicLabel(name) {
  const t = prefs.topics.find((x) => x.name === name);
  return t && t.description ? `${name} (${t.description})` : name;
}

function announce(text) {
  $("error").hidden = true;
  $("status").textContent = text;
}

function fail(err) {
  $("error").textContent = `Not changed: ${err.message}`;
  $("error").hidden = false;
}

/** Run a change, show the new state, keep the focus on the control that was used. */
async function change(body, done) {
  const focused = document.activeElement && document.activeElement.id;
  const busy = document.querySelectorAll("#main button, #main input");
  busy.forEach((b) => (b.disabled = true));
  try {
    prefs = await call("POST", body);
    render();
    announce(done);
  } catch (err) {
    render();
    fail(err);
  }
  // The static controls come back; the topics' were drawn anew by render().
  busy.forEach((b) => {
    if (b.isConnected) {
      b.disabled = false;
    }
  });
  const again = focused && $(focused);
  if (again && !again.disabled && !again.hidden) {
    again.focus();
  }
}

function pauseButtons(scope, label) {
  return prefs.periods.map((p) =>
    el("button", {
      type: "button",
      id: `pause-${scope || "all"}-${p.id}`,
      "aria-label": `Pause ${label} for ${p.label}`,
      onclick: () =>
        change(
          { action: "pause", scope, period: p.id },
          `Paused ${label} for ${p.label}.`,
        ),
      text: p.label,
    }),
  );
}

function renderTopic(t) {
  const id = `topic-${t.name}`;
  const on = t.state === "subscribed";
  // All mail stopped outweighs a topic that is on.
  const held = on && prefs.everything.state !== "subscribed";
  const text = held ? "On, but not sent while all mail is stopped." : stateText(t);
  const box = el("input", {
    type: "checkbox",
    role: "switch",
    id,
    "aria-describedby": `${id}-description ${id}-state`,
    "prop.checked": on,
    disabled: t.state === "blocked",
    onchange: (ev) =>
      ev.target.checked
        ? change({ action: "resubscribe", scope: t.name }, `You receive ${t.name} again.`)
        : change({ action: "unsubscribe", scope: t.name }, `Unsubscribed from ${t.name}.`),
  });
  const li = el(
    "li",
    { class: "topic", "data-topic": t.name },
    el("div", { class: "topic-head" }, box, el("label", { for: id, text: `Receive ${t.name}` })),
    el("p", { id: `${id}-description`, class: "muted", text: t.description }),
    el("p", { id: `${id}-state`, class: on && !held ? "state" : "state off", text }),
  );
  if (t.state !== "blocked") {
    li.append(
      el(
        "div",
        { class: "pause", role: "group", "aria-label": `Pause ${t.name}` },
        el("span", { text: "Pause for" }),
        el("span", { class: "pause-buttons" }, pauseButtons(t.name, t.name)),
      ),
    );
  }
  return li;
}

function renderConfirm() {
  const topic = prefs.topic;
  $("address").textContent = prefs.address;
  $("topic-line").hidden = !topic;
  $("topic-description").hidden = !(topic && topic.description);
  if (topic) {
    $("topic-name").textContent = topic.name;
    $("topic-description").textContent = topic.description;
  }
  const scope = topic ? topic.name : "";
  const state = topic ? prefs.topics.find((t) => t.name === topic.name) : prefs.everything;
  const what = topic ? `from ${topic.name}` : "from all mail of this sender";
  $("confirm-button").textContent = `Unsubscribe ${prefs.address} ${what}`;
  $("confirm-button").dataset.scope = scope;
  const ask = state.state === "subscribed" && prefs.everything.state === "subscribed";
  $("confirm-ask").hidden = !ask;
  $("confirm-done").hidden = ask;
  $("confirm-title").textContent = "Unsubscribe?";
  if (!ask) {
    // Unsubscribed or paused from everything outweighs the topic.
    const all = prefs.everything.state !== "subscribed";
    const s = all ? prefs.everything : state;
    const scopeWords = all || !topic ? "all mail of this sender" : topic.name;
    $("confirm-title").textContent =
      s.state === "unsubscribed" ? "Unsubscribed" : s.state === "paused" ? "Paused" : "Mail is stopped";
    $("confirm-done").textContent =
      s.state === "unsubscribed"
        ? `${prefs.address} is unsubscribed from ${scopeWords}.`
        : s.state === "paused"
          ? `${prefs.address} has paused ${scopeWords} until ${until(s.until)}.`
          : `Mail about ${scopeWords} to ${prefs.address} is stopped for another reason.`;
  }
}

function render() {
  renderConfirm();
  $("prefs-address").textContent = prefs.address;
  $("topics-part").hidden = prefs.topics.length === 0;
  fill($("topics"), prefs.topics.map(renderTopic));
  const all = prefs.everything;
  $("everything-state").textContent =
    all.state === "subscribed" ? "You receive mail from this sender." : stateText(all);
  $("everything-state").className = all.state === "subscribed" ? "state" : "state off";
  const own = all.state === "unsubscribed" || all.state === "paused";
  $("unsubscribe-all").hidden = all.state === "unsubscribed" || all.state === "blocked";
  $("resubscribe-all").hidden = !own;
  fill($("pause-all-buttons"), pauseButtons("", "all mail"));
  $("pause-all-buttons").parentElement.hidden = all.state === "blocked";
  $("confirm").hidden = false;
  $("prefs").hidden = false;
}

$("confirm-button").addEventListener("click", () => {
  const scope = $("confirm-button").dataset.scope;
  const words = scope ? `from ${topicLabel(scope)}` : "from all mail of this sender";
  change({ action: "unsubscribe", scope }, `Unsubscribed ${prefs.address} ${words}.`).then(() => {
    $("confirm-title").focus();
  });
});
$("unsubscribe-all").addEventListener("click", () =>
  change({ action: "unsubscribe", scope: "" }, "Unsubscribed from all mail of this sender."),
);
$("resubscribe-all").addEventListener("click", () =>
  change({ action: "resubscribe", scope: "" }, "You receive mail from this sender again."),
);

async function start() {
  try {
    prefs = await call("GET");
  } catch (err) {
    $("loading").hidden = true;
    $("load-error").textContent = err.message;
    $("load-error").hidden = false;
    return;
  }
  $("loading").hidden = true;
  render();
  $("main").focus();
}

start();
