// The pages' own behaviour: adding and removing columns, keyboard shortcuts, Stop and
// the inspector's copy buttons. Streaming itself is htmx's SSE extension.
(function () {
  "use strict";

  function columnsList() {
    return document.getElementById("columns");
  }

  // Keeps the column controls honest: no adding past the limit, no removing the last one.
  function refreshColumns() {
    const list = columnsList();
    if (!list) return;
    const max = Number(list.dataset.maxColumns || 8);
    const columns = list.querySelectorAll("[data-testid=column]");
    columns.forEach(function (column, index) {
      column.querySelector(".column-label").textContent = "Column " + (index + 1);
      column.querySelector("[data-testid=remove-column]").disabled = columns.length <= 1;
    });
    const add = document.querySelector("[data-testid=add-column]");
    if (add) add.disabled = columns.length >= max;
  }

  function addColumn() {
    const list = columnsList();
    const template = document.getElementById("column-template");
    const max = Number(list.dataset.maxColumns || 8);
    if (list.querySelectorAll("[data-testid=column]").length >= max) return;
    list.appendChild(template.content.cloneNode(true));
    refreshColumns();
    const inputs = list.querySelectorAll("[data-testid=column-model]");
    inputs[inputs.length - 1].focus();
  }

  // Stop closes the run's one stream: htmx cleans up the replaced element, which closes
  // its EventSource; the server sees the disconnect, closes every upstream request and
  // saves what arrived with status "cancelled". The page shows the same at once.
  function stopRun() {
    const run = document.querySelector(".run[sse-connect]");
    if (!run) return;
    const stopped = run.cloneNode(true);
    ["sse-connect", "sse-close", "hx-ext"].forEach(function (name) {
      stopped.removeAttribute(name);
    });
    stopped.querySelectorAll("[sse-swap]").forEach(function (element) {
      element.removeAttribute("sse-swap");
    });
    stopped.querySelectorAll("[data-testid=result][data-status=streaming]").forEach(function (result) {
      result.dataset.status = "cancelled";
      result.querySelector(".status-pill").textContent = "cancelled";
    });
    const status = stopped.querySelector(".run-status");
    status.dataset.status = "cancelled";
    status.querySelector(".state").textContent = "Stopped.";
    status.querySelector("[data-testid=stop]").remove();
    htmx.swap(run, stopped.outerHTML, { swapStyle: "outerHTML", swapDelay: 0, settleDelay: 0 });
  }

  // Copy buttons on the inspector: the text of the element they name, as shown.
  function copyText(button) {
    const source = document.getElementById(button.dataset.copyTarget);
    if (!source || !navigator.clipboard) return;
    navigator.clipboard.writeText(source.textContent).then(
      function () {
        button.textContent = "Copied";
      },
      function () {
        button.textContent = "Copy failed: select the text instead";
      },
    );
  }

  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-testid=add-column]")) {
      addColumn();
    } else if (event.target.closest("[data-testid=remove-column]")) {
      event.target.closest("[data-testid=column]").remove();
      refreshColumns();
    } else if (event.target.closest("[data-testid=stop]")) {
      stopRun();
    } else if (event.target.closest("[data-copy-target]")) {
      copyText(event.target.closest("[data-copy-target]"));
    }
  });

  document.addEventListener("keydown", function (event) {
    if ((event.ctrlKey || event.metaKey) && event.key === "Enter") {
      const form = document.getElementById("compare-form");
      if (form) {
        event.preventDefault();
        form.requestSubmit();
      }
    } else if (event.key === "Escape") {
      stopRun();
    }
  });

  document.addEventListener("DOMContentLoaded", refreshColumns);
  document.addEventListener("htmx:afterSettle", refreshColumns);
})();
