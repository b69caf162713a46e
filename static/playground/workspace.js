// The compare page as a workspace: once a run is on the page the setup folds to its
// prompt, its Run button and a bar with the setup in brief; each column's answer scrolls
// in its own box and follows the stream unless the person scrolls up in it; columns can
// be widened, ordered by their figures and scrolled together; answers and code blocks
// have Copy buttons.
(function () {
  "use strict";

  // How near the bottom of its box an answer may be scrolled and still follow the stream.
  const FOLLOW_SLACK_PX = 24;

  // Folding the setup

  function setFolded(folded) {
    const form = document.getElementById("compare-form");
    const bar = document.getElementById("setup-bar");
    if (!form || !bar || !form.classList.contains("compare-form")) return;
    form.classList.toggle("folded", folded);
    bar.hidden = false;
    const button = bar.querySelector("[data-role=unfold-setup]");
    if (button) {
      button.setAttribute("aria-expanded", String(!folded));
      button.textContent = folded ? "Edit setup" : "Fold setup";
    }
  }

  // A run started from the form: fold it, and bring the columns into view when the
  // page does not show them yet.
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.target.id !== "run" || !event.target.querySelector(".run")) return;
    setFolded(true);
    const results = event.target.querySelector("[data-role=results]");
    if (results && results.getBoundingClientRect().top > window.innerHeight * 0.6) {
      event.target.scrollIntoView({ block: "start" });
    }
  });

  // Following the stream

  function atBottom(box) {
    return box.scrollHeight - box.scrollTop - box.clientHeight <= FOLLOW_SLACK_PX;
  }

  // Columns with a scroll to set on the next frame: id -> {follow, top}.
  const pending = new Map();

  // Each piece of text arrives as an SSE message swapped into its column: a box scrolled
  // to its end before the swap is scrolled to its new end after it, once a frame. The
  // column's end replaces the whole result, so the box is found again by its column.
  document.addEventListener("htmx:sseBeforeMessage", function (event) {
    const result = event.target.closest && event.target.closest("[data-role=result]");
    const box = result && result.querySelector("[data-role=answer-box]");
    if (!box || pending.has(result.id)) return;
    pending.set(result.id, { box: box, follow: atBottom(box), top: box.scrollTop });
    requestAnimationFrame(function () {
      const seen = pending.get(result.id);
      pending.delete(result.id);
      const now = document.getElementById(result.id);
      const shown = now && now.querySelector("[data-role=answer-box]");
      if (!shown) return;
      // Scrolled by the person since the text came: theirs is the place to keep.
      if (shown === seen.box && shown.scrollTop !== seen.top) return;
      shown.scrollTop = seen.follow ? shown.scrollHeight : seen.top;
      addCodeCopyButtons(now);
    });
  });

  // Columns side by side

  function results() {
    return document.querySelector("[data-role=results]");
  }

  function widen(button) {
    const result = button.closest("[data-role=result]");
    const wide = !result.classList.contains("widened");
    document.querySelectorAll("[data-role=result].widened").forEach(function (other) {
      other.classList.remove("widened");
      other.querySelector("[data-role=widen]").setAttribute("aria-pressed", "false");
    });
    result.classList.toggle("widened", wide);
    button.setAttribute("aria-pressed", String(wide));
    result.scrollIntoView({ block: "nearest", inline: "start" });
  }

  // A column that has not the figure goes after those that have it, in the run's order.
  function sortColumns(select) {
    const list = results();
    if (!list) return;
    const key = select.value;
    const descending = key === "tokens-per-second";
    const columns = Array.from(list.querySelectorAll(":scope > [data-role=result]"));
    function value(result) {
      const usage = result.querySelector("[data-testid=result-usage]");
      const text = usage ? usage.getAttribute("data-" + key) : "";
      return text ? Number(text) : null;
    }
    function position(result) {
      return Number(result.id.replace("result-", ""));
    }
    columns.sort(function (a, b) {
      if (!key) return position(a) - position(b);
      const x = value(a);
      const y = value(b);
      if (x === null || y === null) return (x === null) - (y === null) || position(a) - position(b);
      return (descending ? y - x : x - y) || position(a) - position(b);
    });
    columns.forEach(function (column) {
      list.appendChild(column);
    });
  }

  // Scrolling one answer scrolls the others to the same share of their length.
  let syncing = false;
  document.addEventListener("scroll", function (event) {
    const box = event.target;
    const lock = document.querySelector("[data-role=lock-scroll]");
    if (syncing || !lock || !lock.checked || !box.matches || !box.matches("[data-role=answer-box]")) return;
    const range = box.scrollHeight - box.clientHeight;
    const share = range > 0 ? box.scrollTop / range : 0;
    syncing = true;
    document.querySelectorAll("[data-role=answer-box]").forEach(function (other) {
      if (other !== box) other.scrollTop = share * (other.scrollHeight - other.clientHeight);
    });
    requestAnimationFrame(function () {
      syncing = false;
    });
  }, true);

  // Copy buttons

  function copied(button, promise) {
    const words = button.textContent;
    promise.then(
      function () {
        button.textContent = "Copied";
        setTimeout(function () {
          button.textContent = words;
        }, 2000);
      },
      function () {
        button.textContent = "Copy failed: select the text instead";
      },
    );
  }

  // The answer's markdown comes from the server (the page holds only its HTML); handed
  // to the clipboard as a promise, so the click still counts as the person's gesture.
  function copyAnswer(button) {
    if (!navigator.clipboard) return;
    const text = fetch(button.dataset.answerUrl, { credentials: "same-origin" }).then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.text();
    });
    if (window.ClipboardItem && navigator.clipboard.write) {
      const item = new ClipboardItem({ "text/plain": text.then(function (value) {
        return new Blob([value], { type: "text/plain" });
      }) });
      copied(button, navigator.clipboard.write([item]));
    } else {
      copied(button, text.then(function (value) {
        return navigator.clipboard.writeText(value);
      }));
    }
  }

  function addCodeCopyButtons(root) {
    root.querySelectorAll(".output.markdown pre").forEach(function (pre) {
      if (pre.querySelector("[data-role=copy-code]")) return;
      const button = document.createElement("button");
      button.type = "button";
      button.className = "copy-code";
      button.dataset.role = "copy-code";
      button.dataset.testid = "copy-code";
      button.textContent = "Copy";
      button.setAttribute("aria-label", "Copy this code");
      pre.prepend(button);
    });
  }

  function copyCode(button) {
    const code = button.closest("pre").querySelector("code");
    if (code && navigator.clipboard) copied(button, navigator.clipboard.writeText(code.textContent));
  }

  document.addEventListener("click", function (event) {
    const target = event.target;
    if (target.closest("[data-role=unfold-setup]")) {
      const form = document.getElementById("compare-form");
      setFolded(!form.classList.contains("folded"));
    } else if (target.closest("[data-role=widen]")) {
      widen(target.closest("[data-role=widen]"));
    } else if (target.closest("[data-role=copy-answer]")) {
      copyAnswer(target.closest("[data-role=copy-answer]"));
    } else if (target.closest("[data-role=copy-code]")) {
      copyCode(target.closest("[data-role=copy-code]"));
    }
  });

  document.addEventListener("change", function (event) {
    if (event.target.matches("[data-role=sort-columns]")) sortColumns(event.target);
  });

  document.addEventListener("DOMContentLoaded", function () {
    addCodeCopyButtons(document);
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    addCodeCopyButtons(event.target);
  });
})();
