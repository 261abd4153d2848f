// Invoicing pages: progressive enhancement only. Every form works without this file; the
// totals are always computed by the server (htmx posts the builder form), never here.
(function () {
  "use strict";
  // Print button of the document preview (no inline handlers: strict CSP).
  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-print]")) window.print();
    // A tax picker closes when clicking elsewhere, like the app's menus.
    document.querySelectorAll("details.taxpick[open]").forEach(function (picker) {
      if (!picker.contains(event.target)) picker.removeAttribute("open");
    });
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var picker = event.target.closest && event.target.closest("details.taxpick[open]");
    if (picker) {
      picker.removeAttribute("open");
      picker.querySelector("summary").focus();
    }
  });
})();
