// Copy buttons: progressive enhancement for [data-copy-target] (hidden without JavaScript,
// where the read-only field can still be selected and copied by hand).
document.querySelectorAll("[data-copy-target]").forEach(function (button) {
  var field = document.getElementById(button.getAttribute("data-copy-target"));
  var status = document.querySelector("[data-copy-status]");
  button.hidden = false;
  button.addEventListener("click", function () {
    field.select();
    var done = function () {
      button.textContent = "Copied";
      if (status) status.textContent = "Copied to your clipboard.";
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(done, function () {
        document.execCommand("copy");
        done();
      });
    } else {
      document.execCommand("copy");
      done();
    }
  });
});
