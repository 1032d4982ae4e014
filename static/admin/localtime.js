// Audit times arrive in UTC (readable without JavaScript); show them in the reader's own
// time zone, with a relative time ("3 minutes ago") beside and the UTC time as a tooltip.
(function () {
  var UNITS = [["year", 31536000], ["month", 2592000], ["week", 604800], ["day", 86400],
               ["hour", 3600], ["minute", 60], ["second", 1]];
  var relative = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
  var absolute = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });

  function ago(date) {
    var seconds = (date.getTime() - Date.now()) / 1000;
    for (var i = 0; i < UNITS.length; i++) {
      if (Math.abs(seconds) >= UNITS[i][1] || UNITS[i][0] === "second") {
        return relative.format(Math.round(seconds / UNITS[i][1]), UNITS[i][0]);
      }
    }
    return "";
  }

  document.querySelectorAll("time[data-local-time]").forEach(function (node) {
    var date = new Date(node.getAttribute("datetime"));
    if (isNaN(date.getTime())) { return; }
    node.title = node.textContent;
    node.textContent = absolute.format(date) + " (" + ago(date) + ")";
  });
})();
