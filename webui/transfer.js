// Import and export of the suppression list as CSV, with progress.

import { request, upload } from "./api.js";
import { $, count, el, fill, showError, size, table } from "./dom.js";

/**
 * Wire the export button and the import form of the account page.
 * api(path) gives the account's API path; account() the account's name.
 */
export function setupTransfer(api, account) {
  $("export-button").addEventListener("click", async () => {
    const button = $("export-button");
    const progress = $("export-progress");
    showError($("export-error"), null);
    button.disabled = true;
    progress.textContent = "Preparing the export…";
    try {
      const resp = await request(api("suppressions.csv"));
      const reader = resp.body.getReader();
      const chunks = [];
      let bytes = 0;
      let lines = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) {
          break;
        }
        chunks.push(value);
        bytes += value.length;
        for (const b of value) {
          lines += b === 10 ? 1 : 0;
        }
        progress.textContent = `Downloading: ${size(bytes)}, about ${count(Math.max(0, lines - 1))} entries…`;
      }
      const blob = new Blob(chunks, { type: "text/csv" });
      const stamp = new Date().toISOString().slice(0, 10);
      const link = el("a", { href: URL.createObjectURL(blob), download: `suppressions-${account()}-${stamp}.csv`, hidden: true });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(link.href), 60000);
      progress.textContent = `Done: ${count(Math.max(0, lines - 1))} entries, ${size(bytes)}.`;
    } catch (err) {
      progress.textContent = "";
      showError($("export-error"), err);
    } finally {
      button.disabled = false;
    }
  });

  $("import-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const file = $("import-file").files[0];
    showError($("import-error"), null);
    fill($("import-report"));
    if (!file) {
      showError($("import-error"), { message: "Choose a CSV file to import." });
      $("import-file").focus();
      return;
    }
    const box = $("import-progress-box");
    const bar = $("import-progress");
    box.hidden = false;
    bar.value = 0;
    $("import-submit").disabled = true;
    fill($("import-progress-label"), `Uploading ${file.name}`);
    try {
      const report = await upload(api("suppressions/import"), file, "text/csv", (loaded, total) => {
        if (loaded === null) {
          fill($("import-progress-label"), "Checking and adding the entries…");
          bar.removeAttribute("value");
        } else if (total) {
          bar.value = (100 * loaded) / total;
          fill($("import-progress-label"), `Uploading ${file.name}: ${size(loaded)} of ${size(total)}`);
        }
      });
      renderImportReport(report);
      $("import-form").reset();
    } catch (err) {
      showError($("import-error"), err);
    } finally {
      box.hidden = true;
      $("import-submit").disabled = false;
    }
  });

  function renderImportReport(report) {
    const rejected = report.rejected || [];
    const total = report.rejected_total ?? rejected.length;
    fill(
      $("import-report"),
      el(
        "p",
        { class: total ? "warn" : "ok", id: "import-summary" },
        `Added ${count(report.added)}. Already on the list: ${count(report.already_present)}. ` +
          `Rejected: ${count(total)}` +
          (total > rejected.length ? ` (the first ${count(rejected.length)} are listed below).` : "."),
      ),
      rejected.length
        ? el(
            "div",
            { class: "table-wrap" },
            table(
              [
                { label: "Line", cell: (r) => String(r.line) },
                { label: "Problem", cell: (r) => r.error },
              ],
              rejected,
              { id: "import-rejected" },
            ),
          )
        : null,
    );
  }
}

/** Forget what the last import reported. */
export function forgetTransfer() {
  fill($("import-report"));
  fill($("export-progress"));
  $("import-form").reset();
}
