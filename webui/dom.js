// Building the page from data, always as text: nothing from the server is parsed as HTML.

/**
 * Create an element. attrs: {class, text, on<Event>: fn, prop.<name>: value, other: attribute}.
 * children: nodes or strings (strings become text nodes); null and false are skipped.
 */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  setAttrs(node, attrs);
  append(node, ...children);
  return node;
}

/** An SVG element, same conventions as el(). */
export function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  setAttrs(node, attrs);
  append(node, ...children);
  return node;
}

function setAttrs(node, attrs) {
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) {
      continue;
    }
    if (key === "text") {
      node.textContent = String(value);
    } else if (key.startsWith("on") && typeof value === "function") {
      node.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (key.startsWith("prop.")) {
      node[key.slice(5)] = value;
    } else {
      node.setAttribute(key, value === true ? "" : String(value));
    }
  }
}

export function append(node, ...children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) {
      continue;
    }
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** Replace all children of node. */
export function fill(node, ...children) {
  node.replaceChildren();
  return append(node, ...children);
}

export const $ = (id) => document.getElementById(id);

/** Show exactly one of the given elements (by id). */
export function showOnly(ids, shown) {
  for (const id of ids) {
    $(id).hidden = id !== shown;
  }
}

/** Call fn with the latest arguments once calls stop for ms milliseconds. */
export function debounce(fn, ms) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const dateOnly = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });

/** A <time> element for an RFC 3339 time, or the fallback text when there is none. */
export function when(iso, fallback = "") {
  if (!iso) {
    return document.createTextNode(fallback);
  }
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) {
    return document.createTextNode(String(iso));
  }
  return el("time", { datetime: iso, title: d.toString() }, dateTime.format(d));
}

export function day(iso) {
  const d = new Date(iso.length === 10 ? iso + "T00:00:00" : iso);
  return Number.isNaN(d.getTime()) ? String(iso) : dateOnly.format(d);
}

/** A rate (0.0123) as a percentage ("1.23%"); "-" when unknown. */
export function percent(rate, digits = 2) {
  if (rate === null || rate === undefined || Number.isNaN(rate)) {
    return "-";
  }
  return (rate * 100).toFixed(digits).replace(/\.?0+$/, "") + "%";
}

export function count(n) {
  return Number(n || 0).toLocaleString();
}

/** Bytes in words: "12 KB". */
export function size(bytes) {
  if (bytes < 1024) {
    return `${bytes} bytes`;
  }
  if (bytes < 1024 * 1024) {
    return `${(bytes / 1024).toFixed(0)} KB`;
  }
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/**
 * A table: columns [{label, cell(row) -> node|string, class?}], with data-label on
 * each cell so the stylesheet can show rows as cards on a narrow screen.
 * rowAttrs(row), if given, returns attributes for the row's <tr> (as el() takes them).
 */
export function table(columns, rows, attrs = {}, rowAttrs = null) {
  const head = el(
    "thead",
    {},
    el("tr", {}, columns.map((c) => el("th", { scope: "col", class: c.class === "num" ? "num" : null }, c.label))),
  );
  const body = el(
    "tbody",
    {},
    rows.map((row) =>
      el(
        "tr",
        rowAttrs ? rowAttrs(row) : {},
        columns.map((c) => el("td", { "data-label": c.label, class: c.class }, c.cell(row))),
      ),
    ),
  );
  return el("table", attrs, head, body);
}

/** Show an error in words in the element, or hide the element when err is null. */
export function showError(node, err) {
  if (!err) {
    node.hidden = true;
    node.textContent = "";
    return;
  }
  node.hidden = false;
  const code = err.code ? ` (${err.code})` : "";
  node.textContent = (err.message || String(err)) + code;
}
