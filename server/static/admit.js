// Styles that depend on data (a level's colour, an occupancy bar) are set here through
// the DOM, because the Content-Security-Policy refuses inline style attributes.
"use strict";
(function () {
  function apply(root) {
    for (const el of root.querySelectorAll("[data-bg]")) el.style.background = el.dataset.bg;
    for (const el of root.querySelectorAll("[data-width]")) el.style.width = el.dataset.width;
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { apply(document); });
  } else {
    apply(document);
  }
})();
