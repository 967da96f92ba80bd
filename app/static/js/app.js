// Klinikadgang's own progressive enhancements. Every flow works without this file.
"use strict";

// Move focus to the first heading or error of content htmx has just swapped in (screen readers).
document.addEventListener("htmx:afterSwap", function (event) {
  // With outerHTML swaps detail.target is the removed element; event.target is the new content.
  const root = event.target;
  const focusable = root.querySelector("[aria-invalid='true']") || root.querySelector("h1, h2");
  if (focusable) {
    if (!focusable.hasAttribute("tabindex") && !/^(INPUT|SELECT|TEXTAREA)$/.test(focusable.tagName)) {
      focusable.setAttribute("tabindex", "-1");
    }
    focusable.focus();
  }
});

// CPR fields (patient portal): insert the hyphen after the sixth digit while typing. The server
// normalises too, so "1503812346" works without this.
document.addEventListener("input", function (event) {
  const field = event.target;
  if (!(field instanceof HTMLInputElement) || !field.hasAttribute("data-cpr")) {
    return;
  }
  const digits = field.value.replace(/\D/g, "").slice(0, 10);
  const formatted = digits.length > 6 ? digits.slice(0, 6) + "-" + digits.slice(6) : digits;
  if (formatted !== field.value) {
    field.value = formatted;
  }
});

// "Skjul CPR-nummer": switch the named CPR fields between visible and hidden while ticking.
// Without JS the form is re-rendered with hidden fields when the box was ticked.
document.addEventListener("change", function (event) {
  const box = event.target;
  if (!(box instanceof HTMLInputElement) || !box.hasAttribute("data-cpr-hide")) {
    return;
  }
  box.getAttribute("data-cpr-hide").split(" ").forEach(function (id) {
    const input = document.getElementById(id);
    if (input) {
      input.type = box.checked ? "password" : "text";
    }
  });
});
