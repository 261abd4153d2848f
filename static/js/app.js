// Progressive enhancement only: every page works without this file. No inline handlers
// anywhere (strict Content-Security-Policy): behaviour is attached here, by data attributes.
(function () {
  "use strict";

  function closeMenus(except) {
    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      if (menu !== except) menu.removeAttribute("open");
    });
  }

  // <details class="menu">: one open at a time; close on a click elsewhere or on Escape.
  document.addEventListener("click", function (event) {
    var inside = event.target.closest ? event.target.closest("details.menu") : null;
    closeMenus(inside);
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var open = document.querySelector("details.menu[open]");
    if (!open) return;
    closeMenus(null);
    var summary = open.querySelector("summary");
    if (summary) summary.focus();
  });

  // <form data-confirm="Are you sure?">: ask before submitting.
  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) event.preventDefault();
  }, true);

  // Flash messages get a close button.
  function enhanceFlashes(root) {
    root.querySelectorAll("[data-flash]:not([data-flash-ready])").forEach(function (flash) {
      flash.setAttribute("data-flash-ready", "");
      var button = document.createElement("button");
      button.type = "button";
      button.className = "flash__close";
      var list = flash.closest("[data-dismiss-label]");
      button.setAttribute("aria-label", list ? list.getAttribute("data-dismiss-label") : "Dismiss");
      button.textContent = "×";
      button.addEventListener("click", function () {
        var container = flash.parentNode;
        flash.remove();
        if (container && !container.children.length) container.remove();
      });
      flash.appendChild(button);
    });
  }

  // Stacked tables (.table--stack, app.css): on a phone each cell shows its column's name,
  // taken from the header when the template gave no data-label.
  function labelStackedCells(root) {
    root.querySelectorAll("table.table--stack").forEach(function (table) {
      var heads = table.querySelectorAll("thead th");
      table.querySelectorAll("tbody tr").forEach(function (row) {
        Array.prototype.forEach.call(row.children, function (cell, index) {
          if (cell.hasAttribute("data-label") || cell.hasAttribute("colspan") || !heads[index]) return;
          cell.setAttribute("data-label", heads[index].textContent.trim());
        });
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { enhanceFlashes(document); labelStackedCells(document); });
  document.addEventListener("htmx:afterSwap", function (event) { enhanceFlashes(event.target); labelStackedCells(event.target); });
})();
