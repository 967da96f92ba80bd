// Klinikadgang's own progressive enhancements. Every flow works without this file.
"use strict";

// Move focus to the first heading or error of content htmx has just swapped in (screen readers).
document.addEventListener("htmx:afterSwap", function (event) {
  const root = event.detail.target;
  const focusable = root.querySelector("[aria-invalid='true'], h1, h2");
  if (focusable) {
    if (!focusable.hasAttribute("tabindex") && !/^(INPUT|SELECT|TEXTAREA)$/.test(focusable.tagName)) {
      focusable.setAttribute("tabindex", "-1");
    }
    focusable.focus();
  }
});
