// Kiosk mode: a visible countdown that ends the session when nobody is using the screen.
// Without JavaScript the server resets the kiosk at the next request after the idle time.
"use strict";

(function () {
  const body = document.body;
  const idle = parseInt(body.getAttribute("data-kiosk-idle") || "0", 10);
  if (!idle) {
    return;
  }
  const countdown = document.querySelector(".kiosk-countdown");
  const seconds = document.querySelector("[data-kiosk-seconds]");
  const endForm = document.querySelector("[data-kiosk-end-form]");
  const warnAt = Math.min(30, idle);
  let left = idle;

  function restart() {
    left = idle;
    if (countdown) {
      countdown.hidden = true;
    }
  }

  ["pointerdown", "keydown", "input", "touchstart"].forEach(function (name) {
    document.addEventListener(name, restart, { passive: true });
  });
  document.addEventListener("htmx:afterRequest", restart);

  // "Jeg er her stadig" tells the server too, without leaving the page.
  const stillHere = document.querySelector("[data-kiosk-still-here]");
  if (stillHere) {
    stillHere.addEventListener("submit", function (event) {
      event.preventDefault();
      fetch(stillHere.action, { method: "POST", body: new FormData(stillHere),
        headers: { "HX-Request": "true" }, credentials: "same-origin" });
      restart();
    });
  }

  window.setInterval(function () {
    left -= 1;
    if (seconds) {
      seconds.textContent = String(Math.max(left, 0));
    }
    if (countdown && left <= warnAt) {
      countdown.hidden = false;
    }
    if (left <= 0 && endForm) {
      endForm.submit();
    }
  }, 1000);

  // On the start screen Back goes nowhere: the previous person's pages stay out of reach.
  if (/^\/kiosk\/[^/]+\/?$/.test(window.location.pathname)) {
    window.history.pushState({ kiosk: true }, "", window.location.href);
    window.addEventListener("popstate", function () {
      window.history.pushState({ kiosk: true }, "", window.location.href);
    });
  }

  // A page restored from the back-forward cache must not show the previous person's data.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) {
      window.location.reload();
    }
  });
})();
