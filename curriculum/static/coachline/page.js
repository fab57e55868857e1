/* Every page (base.html): small accessibility helpers that need the rendered layout.
 *
 * 1. When a form comes back with errors (base.html marks the body, and the title starts with
 *    "Error:"), move the keyboard focus to the error summary, so screen-reader and keyboard
 *    users start where the problem is. The summary is the element marked
 *    data-error-summary, else the first error alert, else the first field error.
 * 2. A table or chart wider than the screen scrolls sideways inside its box; such a box is
 *    made focusable (tabindex=0) so keyboard users can scroll it too, and stops being
 *    focusable when a wider window no longer needs it. */
(function () {
  "use strict";
  var main = document.getElementById("main") || document.body;

  (function focusErrorSummary() {
    if (!document.body || !document.body.hasAttribute("data-page-errors")) return;
    var summary = main.querySelector("[data-error-summary]") ||
      main.querySelector(".message.error, [role=alert]:not([hidden]):not(:empty)") ||
      main.querySelector(".errorlist:not(:empty)");
    if (!summary) return;
    if (!summary.hasAttribute("tabindex")) summary.setAttribute("tabindex", "-1");
    summary.focus();
  })();

  var SCROLLERS = "table, figure, pre, .table-scroll, [data-scroll-region]";

  function markScrollers() {
    main.querySelectorAll(SCROLLERS).forEach(function (el) {
      var overflow = window.getComputedStyle(el).overflowX;
      var scrolls = (overflow === "auto" || overflow === "scroll") && el.scrollWidth > el.clientWidth + 1;
      if (scrolls && !el.hasAttribute("tabindex")) {
        el.setAttribute("tabindex", "0");
        el.setAttribute("data-scroll-focus", "");
      } else if (!scrolls && el.hasAttribute("data-scroll-focus")) {
        el.removeAttribute("tabindex");
        el.removeAttribute("data-scroll-focus");
      }
    });
  }

  var resizeTimer = null;
  markScrollers();
  window.addEventListener("load", markScrollers);
  window.addEventListener("resize", function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(markScrollers, 150);
  });
  // Opening a <details> (a chart's table of numbers) can reveal a wide table.
  document.addEventListener("toggle", markScrollers, true);
})();
