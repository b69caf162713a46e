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
    const columns = list.querySelectorAll("[data-role=column]");
    columns.forEach(function (column, index) {
      column.querySelector(".column-label").textContent = "Column " + (index + 1);
      column.querySelector("[data-role=remove-column]").disabled = columns.length <= 1;
    });
    const add = document.querySelector("[data-role=add-column]");
    if (add) add.disabled = columns.length >= max;
  }

  function addColumn() {
    const list = columnsList();
    const template = document.getElementById("column-template");
    const max = Number(list.dataset.maxColumns || 8);
    if (list.querySelectorAll("[data-role=column]").length >= max) return;
    list.appendChild(template.content.cloneNode(true));
    // Its model field then fetches that model's settings, as the page's own columns do.
    htmx.process(list.lastElementChild);
    refreshColumns();
    const inputs = list.querySelectorAll("[data-role=column-model]");
    inputs[inputs.length - 1].focus();
  }

  // An evaluation's checks: a new row from the page's template, focused; any row removed.
  function addCheck(button) {
    const form = button.closest("form");
    const template = form.querySelector("template[data-role=check-template]");
    const list = form.querySelector("[data-role=checks]");
    list.appendChild(template.content.cloneNode(true));
    list.lastElementChild.querySelector("select").focus();
  }

  // Esc does what the Stop button does: it posts to the run's stop URL (htmx), the run's
  // task closes every upstream request, and every tab watching the run shows it cancelled.
  function stopRun() {
    const stop = document.querySelector(".run[sse-connect] [data-role=stop]");
    if (stop) stop.click();
  }

  // A run's stream resumes where it left off. The browser's EventSource does so by itself
  // (it sends Last-Event-ID when it reconnects); when htmx opens a new one instead (after
  // the old one closed), the last event id seen goes with it as `after`.
  const lastEventIds = new Map();

  document.addEventListener("htmx:sseMessage", function (event) {
    const run = event.target.closest(".run[sse-connect]");
    if (run && event.detail.lastEventId) {
      lastEventIds.set(run.getAttribute("sse-connect"), event.detail.lastEventId);
    }
  });

  htmx.createEventSource = function (url) {
    const after = lastEventIds.get(url);
    const resumed = after ? url + (url.includes("?") ? "&" : "?") + "after=" + encodeURIComponent(after) : url;
    return new EventSource(resumed, { withCredentials: true });
  };

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
    if (event.target.closest("[data-role=add-column]")) {
      addColumn();
    } else if (event.target.closest("[data-role=remove-column]")) {
      event.target.closest("[data-role=column]").remove();
      refreshColumns();
    } else if (event.target.closest("[data-role=check-add]")) {
      addCheck(event.target.closest("[data-role=check-add]"));
    } else if (event.target.closest("[data-role=check-remove]")) {
      event.target.closest("[data-role=check]").remove();
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

  // A column's settings come back from the server when its model changes. What the
  // person did while they were on the way (opened them, typed, moved into a field) is
  // carried over to the new ones, so nothing typed in the meantime is lost. Fields the
  // new model does not take come back hidden and stay empty.
  const keptSettings = new WeakMap();

  function visibleFields(options) {
    return options.querySelectorAll("input[name]:not([type=hidden]), select[name], textarea[name]");
  }

  function keepSettings(options) {
    const active = document.activeElement;
    const kept = { open: Boolean(options.querySelector("details[open]")), values: {}, focus: null };
    visibleFields(options).forEach(function (field) {
      kept.values[field.name] = field.type === "checkbox" ? field.checked : field.value;
    });
    if (active && active.name && options.contains(active)) {
      kept.focus = { name: active.name, start: active.selectionStart, end: active.selectionEnd };
    }
    return kept;
  }

  function restoreSettings(options, kept) {
    const details = options.querySelector("details");
    if (details && kept.open) details.open = true;
    visibleFields(options).forEach(function (field) {
      if (!(field.name in kept.values)) return;
      const value = kept.values[field.name];
      if (field.type === "checkbox") {
        field.checked = value;
      } else if (field.tagName !== "SELECT" || field.querySelector("option[value='" + CSS.escape(value) + "']")) {
        field.value = value;
      }
    });
    const focused = kept.focus && options.querySelector("[name='" + CSS.escape(kept.focus.name) + "']");
    if (focused && focused.type !== "hidden") {
      focused.focus();
      if (kept.focus.start !== null && focused.setSelectionRange) {
        focused.setSelectionRange(kept.focus.start, kept.focus.end);
      }
    }
  }

  document.addEventListener("htmx:beforeSwap", function (event) {
    const target = event.detail.target;
    const column = target && target.closest(".column-options") === target && target.closest("[data-role=column]");
    if (column) keptSettings.set(column, keepSettings(target));
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    const options = event.target;
    const column = options.classList && options.classList.contains("column-options") && options.closest("[data-role=column]");
    if (!column || !keptSettings.has(column)) return;
    restoreSettings(options, keptSettings.get(column));
    keptSettings.delete(column);
  });

  document.addEventListener("DOMContentLoaded", refreshColumns);
  document.addEventListener("htmx:afterSettle", refreshColumns);
})();

// The model picker: "Browse models" opens the catalog in a dialog for its column (the list
// itself is an htmx partial), and a model's "Use" puts its id in that column's field.
// Without JavaScript both are plain links to the picker page and back.
(function () {
  "use strict";

  let pickingFor = null; // the column whose model is being chosen

  function picker() {
    return document.getElementById("model-picker");
  }

  function modelInput(column) {
    return column.querySelector("[data-role=column-model]");
  }

  function openPicker(link) {
    const dialog = picker();
    const columns = Array.from(document.querySelectorAll("#columns [data-role=column]"));
    pickingFor = link.closest("[data-role=column]");
    // The column and the models typed so far, so the list's links match the page.
    const url = new URL(link.href, window.location.href);
    url.searchParams.set("column", String(Math.max(columns.indexOf(pickingFor), 0)));
    url.searchParams.set("models", columns.map(function (column) {
      return modelInput(column).value.trim();
    }).join(","));
    dialog.showModal();
    htmx.ajax("GET", url.pathname + url.search, { target: "#model-picker-body", swap: "innerHTML" })
      .then(function () {
        const search = dialog.querySelector("[data-role=picker-search]");
        if (search) search.focus();
      });
  }

  function chooseModel(link) {
    const input = modelInput(pickingFor);
    input.value = link.dataset.pickModel;
    // Others listening for the model to change (offered parameters, estimates) hear it.
    input.dispatchEvent(new Event("input", { bubbles: true }));
    input.dispatchEvent(new Event("change", { bubbles: true }));
    picker().close();
    input.focus();
  }

  document.addEventListener("click", function (event) {
    const dialog = picker();
    if (!dialog || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey) return;
    const browse = event.target.closest("[data-role=browse-models]");
    const pick = event.target.closest("[data-pick-model]");
    if (browse) {
      event.preventDefault();
      openPicker(browse);
    } else if (pick && dialog.open && pickingFor && pickingFor.isConnected) {
      event.preventDefault();
      chooseModel(pick);
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    const dialog = picker();
    if (!dialog) return;
    // Escape closes the picker; it must not also reach the page's "Esc stops the run".
    dialog.addEventListener("keydown", function (event) {
      if (event.key === "Escape") event.stopPropagation();
    });
    dialog.addEventListener("close", function () {
      pickingFor = null;
    });
  });
})();
