// Opens the browser's print dialog for the badge PDF loaded in #print-badge (the walk-in
// desk's "print now"). A static file: the dashboard's CSP forbids inline scripts.
(function () {
  "use strict";
  var frame = document.getElementById("print-badge");
  if (!frame) return;
  // An automated browser (navigator.webdriver: the test suite) has no one at the print
  // dialog, and headless Chromium's PDF viewer crashes the page on print().
  if (navigator.webdriver) return;
  frame.addEventListener("load", function () {
    try { frame.contentWindow.focus(); frame.contentWindow.print(); } catch (e) { /* blocked: the link stays */ }
  });
})();
