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
  // The live totals refresh each line field's errors (_line_errors.html); the field and its
  // line follow, so a fixed field stops being marked invalid without saving the form.
  document.addEventListener("htmx:afterSettle", function () {
    document.querySelectorAll("[data-error-for]").forEach(function (box) {
      var field = document.getElementById(box.getAttribute("data-error-for"));
      if (!field) return;
      if (box.children.length) field.setAttribute("aria-invalid", "true");
      else field.removeAttribute("aria-invalid");
    });
    document.querySelectorAll(".line").forEach(function (line) {
      line.classList.toggle("line--error", !!line.querySelector("[data-error-for] .error, .line__body > .error"));
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
