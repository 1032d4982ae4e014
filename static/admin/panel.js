// Panel chrome: a table wider than the screen scrolls inside its own box (admin.css);
// one that does scroll becomes focusable, so it can be scrolled with the keyboard too.
(function () {
  function mark() {
    document.querySelectorAll("main table.table").forEach(function (table) {
      var scrolls = table.scrollWidth > table.clientWidth + 1;
      if (scrolls && !table.hasAttribute("tabindex")) {
        table.setAttribute("tabindex", "0");
        table.setAttribute("data-scrolls", "");
      } else if (!scrolls && table.hasAttribute("data-scrolls")) {
        table.removeAttribute("tabindex");
        table.removeAttribute("data-scrolls");
      }
    });
  }
  mark();
  window.addEventListener("resize", mark);
})();
