// A small SVG line chart of a daily rate, with the limit line marked. No library.

import { day, percent, svg } from "./dom.js";

const W = 560;
const H = 240;
const M = { left: 50, right: 14, top: 18, bottom: 34 };
const shortDay = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric" });

function axisDay(iso) {
  const d = new Date(iso + "T00:00:00");
  return Number.isNaN(d.getTime()) ? iso : shortDay.format(d);
}

/** A step of 1, 2 or 5 times a power of ten, giving about `ticks` steps up to max. */
function niceStep(max, ticks) {
  const raw = max / ticks;
  const mag = 10 ** Math.floor(Math.log10(raw));
  for (const f of [1, 2, 2.5, 5, 10]) {
    if (f * mag >= raw) {
      return f * mag;
    }
  }
  return 10 * mag;
}

/**
 * An <svg> line chart.
 * opts: {title, label (of the series), points: [{date, value (a rate or null), note}],
 *        limit: {value, label}, className}
 * Days without a value (nothing sent) leave a gap in the line.
 */
export function rateChart(opts) {
  const { points, limit } = opts;
  const values = points.map((p) => p.value).filter((v) => typeof v === "number");
  const top = Math.max(limit.value * 1.5, ...values.map((v) => v * 1.1), 0.0001);
  const step = niceStep(top, 4);
  const yMax = Math.ceil(top / step) * step;
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const x = (i) => M.left + (points.length > 1 ? (i / (points.length - 1)) * plotW : plotW / 2);
  const y = (v) => M.top + plotH - (v / yMax) * plotH;

  const over = values.filter((v) => v > limit.value).length;
  const titleId = "chart-" + Math.random().toString(36).slice(2);
  const chart = svg("svg", {
    viewBox: `0 0 ${W} ${H}`,
    class: "chart " + (opts.className || ""),
    role: "img",
    "aria-labelledby": titleId,
  });
  chart.append(
    svg("title", { id: titleId }, opts.title),
    svg(
      "desc",
      {},
      `${opts.label} per day over ${points.length} days; the limit is ${percent(limit.value)}; ` +
        `${over} day(s) above it.`,
    ),
  );

  // Horizontal grid with percentage labels.
  const grid = svg("g", { class: "grid" });
  for (let v = 0; v <= yMax + step / 2; v += step) {
    grid.append(
      svg("line", { x1: M.left, x2: W - M.right, y1: y(v), y2: y(v) }),
      svg("text", { x: M.left - 6, y: y(v) + 4, "text-anchor": "end" }, percent(v, 3)),
    );
  }
  // Date labels, about six of them.
  const every = Math.max(1, Math.ceil(points.length / 5));
  points.forEach((p, i) => {
    const last = i === points.length - 1;
    if ((i % every === 0 && points.length - 1 - i >= every / 2) || last) {
      const anchor = i === 0 ? "start" : last ? "end" : "middle";
      grid.append(
        svg("text", { x: x(i), y: H - M.bottom + 20, "text-anchor": anchor }, axisDay(p.date)),
      );
    }
  });
  chart.append(grid);

  // The limit mailbox providers enforce.
  chart.append(
    svg(
      "g",
      { class: "threshold" },
      svg("line", { x1: M.left, x2: W - M.right, y1: y(limit.value), y2: y(limit.value) }),
      svg(
        "text",
        // At the left: the recent days, on the right, are the ones to read.
        { x: M.left + 6, y: y(limit.value) - 5, "text-anchor": "start" },
        limit.label,
      ),
    ),
  );

  // The series: a path broken where a day has no value, and a point per day.
  let d = "";
  let pen = false;
  points.forEach((p, i) => {
    if (typeof p.value !== "number") {
      pen = false;
      return;
    }
    d += `${pen ? "L" : "M"}${x(i).toFixed(1)},${y(p.value).toFixed(1)} `;
    pen = true;
  });
  chart.append(svg("path", { class: "series", d: d.trim() || "M0,0" }));
  const dots = svg("g", { class: "points" });
  points.forEach((p, i) => {
    if (typeof p.value !== "number") {
      return;
    }
    dots.append(
      svg(
        "circle",
        { cx: x(i), cy: y(p.value), r: 3.5, class: p.value > limit.value ? "over" : null },
        svg("title", {}, `${day(p.date)}: ${percent(p.value)}${p.note ? " (" + p.note + ")" : ""}`),
      ),
    );
  });
  chart.append(dots);
  return chart;
}
