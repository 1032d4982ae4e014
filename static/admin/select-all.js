// The user list's "select all on this page" box: hidden without JavaScript (each row's
// own box still works), shown and wired here.
(function () {
  document.querySelectorAll("input[data-select-all]").forEach(function (all) {
    var boxes = document.querySelectorAll('input[name="' + all.dataset.selectAll + '"]');
    all.hidden = false;
    all.addEventListener("change", function () {
      boxes.forEach(function (box) { box.checked = all.checked; });
    });
  });
})();
