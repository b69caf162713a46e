// The colour theme. Loaded in <head> without defer, so the page is painted in the chosen
// theme from the start, never light and then dark.
//
// The toggle is one button, "Dark theme", pressed or not (aria-pressed): a two-way switch
// reads more plainly than a three-way System/Light/Dark control. Following the system is
// the default, and it comes back by itself: a choice is stored only while it differs from
// the system's preference, so pressing the button back to what the system says forgets it.
(function () {
  "use strict";

  const KEY = "playground-theme";
  const systemDark = window.matchMedia("(prefers-color-scheme: dark)");

  // Storage can be refused (a privacy setting, a sandboxed frame): the page then follows
  // the system and the toggle lasts until the next page.
  function stored() {
    try {
      return window.localStorage.getItem(KEY);
    } catch {
      return null;
    }
  }

  function store(theme) {
    try {
      if (theme) window.localStorage.setItem(KEY, theme);
      else window.localStorage.removeItem(KEY);
    } catch {
      // See stored().
    }
  }

  function apply(theme) {
    if (theme === "light" || theme === "dark") document.documentElement.dataset.theme = theme;
    else delete document.documentElement.dataset.theme;
  }

  function isDark() {
    const theme = document.documentElement.dataset.theme;
    return theme ? theme === "dark" : systemDark.matches;
  }

  apply(stored());

  function showState(toggle) {
    toggle.setAttribute("aria-pressed", String(isDark()));
  }

  document.addEventListener("DOMContentLoaded", function () {
    const toggle = document.querySelector("[data-role=theme-toggle]");
    if (!toggle) return;
    showState(toggle);
    toggle.hidden = false;
    toggle.addEventListener("click", function () {
      const dark = !isDark();
      const choice = dark === systemDark.matches ? null : dark ? "dark" : "light";
      store(choice);
      apply(choice);
      showState(toggle);
    });
    systemDark.addEventListener("change", function () {
      showState(toggle);
    });
    // Another tab changed the theme.
    window.addEventListener("storage", function (event) {
      if (event.key !== KEY) return;
      apply(event.newValue);
      showState(toggle);
    });
  });
})();
