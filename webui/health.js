// The health view: bounce and complaint rates per day against the providers' limits.

import { call } from "./api.js";
import { rateChart } from "./chart.js";
import { $, count, day, el, fill, percent, table } from "./dom.js";
import { kindWords } from "./words.js";

/**
 * Load the account's statistics of the last 30 days and draw them.
 * api(path) gives the account's API path; failed(err) shows an error.
 */
export async function loadHealth(api, failed) {
  fill($("health-warnings"), el("p", { class: "muted" }, "Loading…"));
  let stats;
  try {
    stats = await call(api("stats"), { query: { days: 30 } });
  } catch (err) {
    fill($("health-warnings"));
    failed(err);
    return;
  }
  const days = stats.days || [];
  const t = stats.thresholds || { bounce_rate: 0.02, complaint_rate: 0.003 };
  const totals = stats.totals || {};
  const warnings = stats.warnings || [];
  fill(
    $("health-warnings"),
    warnings.length
      ? el("div", { class: "warn banner", role: "alert" }, el("strong", {}, "Warning"), el("ul", {}, warnings.map((w) => el("li", {}, w))))
      : totals.sent
        ? el("p", { class: "ok banner" }, "Both rates stayed below the limits.")
        : el("p", { class: "muted" }, "No mail was sent in these days."),
  );
  const tile = (label, value) => el("div", { class: "tile" }, el("span", { class: "value" }, value), el("span", { class: "label" }, label));
  fill(
    $("health-totals"),
    tile("sent", count(totals.sent)),
    tile("delivered", count(totals.delivered)),
    tile("failed", count(totals.failed)),
    tile("complaints", count(totals.complaints)),
    tile("bounce rate", percent(totals.bounce_rate)),
    tile("complaint rate", percent(totals.complaint_rate, 3)),
    tile("added to the list", count(totals.suppressions_added)),
    tile("removed", count(totals.suppressions_removed)),
  );
  fill($("caption-bounce"), `Bounce rate per day; the line marks ${percent(t.bounce_rate)}`);
  fill($("caption-complaint"), `Complaint rate per day; the line marks ${percent(t.complaint_rate, 3)}`);
  fill(
    $("chart-bounce"),
    rateChart({
      title: "Bounce rate per day",
      label: "Bounce rate",
      className: "bounce",
      // Days without mail have no rate: a gap, not a zero.
      points: days.map((d) => ({
        date: d.date,
        value: d.sent ? d.bounce_rate : null,
        note: `${d.failed_hard ?? d.failed} hard bounces of ${d.sent} sent`,
      })),
      limit: { value: t.bounce_rate, label: `limit ${percent(t.bounce_rate)}` },
    }),
  );
  fill(
    $("chart-complaint"),
    rateChart({
      title: "Complaint rate per day",
      label: "Complaint rate",
      className: "complaint",
      points: days.map((d) => ({
        date: d.date,
        value: d.sent ? d.complaint_rate : null,
        note: `${d.complaints} complaints of ${d.sent} sent`,
      })),
      limit: { value: t.complaint_rate, label: `limit ${percent(t.complaint_rate, 3)}` },
    }),
  );
  const byKind = {};
  for (const d of days) {
    for (const [kind, n] of Object.entries(d.failed_by_kind || {})) {
      byKind[kind] = (byKind[kind] || 0) + n;
    }
  }
  const kinds = Object.entries(byKind).sort((a, b) => b[1] - a[1]);
  fill(
    $("health-kinds"),
    kinds.length
      ? table(
          [
            { label: "Kind", cell: ([k]) => el("span", {}, kindWords(k), " ", el("code", {}, k)) },
            { label: "Failures", class: "num", cell: ([, n]) => count(n) },
          ],
          kinds,
          { id: "kinds" },
        )
      : el("p", { class: "muted" }, "No failed deliveries in these days."),
  );
  fill(
    $("health-days"),
    table(
      [
        { label: "Day", cell: (d) => day(d.date) },
        { label: "Sent", class: "num", cell: (d) => count(d.sent) },
        { label: "Delivered", class: "num", cell: (d) => count(d.delivered) },
        { label: "Delayed", class: "num", cell: (d) => count(d.delayed) },
        { label: "Failed", class: "num", cell: (d) => count(d.failed) },
        { label: "Complaints", class: "num", cell: (d) => count(d.complaints) },
        { label: "Bounce rate", class: "num", cell: (d) => percent(d.bounce_rate) },
        { label: "Complaint rate", class: "num", cell: (d) => percent(d.complaint_rate, 3) },
        { label: "Added", class: "num", cell: (d) => count(d.suppressions_added) },
        { label: "Removed", class: "num", cell: (d) => count(d.suppressions_removed) },
      ],
      days.slice().reverse(),
    ),
  );
}
