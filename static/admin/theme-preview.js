// Live preview for the theme editor: copies the form's colours and font into the preview's
// CSS custom properties as they change. Progressive enhancement: without it the preview
// shows the saved theme. Uses the CSSOM (allowed by the CSP), never inline style markup.
(function () {
  var preview = document.querySelector(".theme-preview");
  if (!preview) return;
  var names = {
    primary_color: "--authsvc-primary",
    secondary_color: "--authsvc-secondary",
    accent_color: "--authsvc-accent",
    background_color: "--authsvc-background",
    text_color: "--authsvc-text",
    font_stack: "--authsvc-font"
  };
  document.querySelectorAll("[data-preview]").forEach(function (input) {
    var property = names[input.getAttribute("data-preview")];
    var apply = function () { preview.style.setProperty(property, input.value); };
    input.addEventListener("input", apply);
    apply();
  });
})();
