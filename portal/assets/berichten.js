// The Berichtenstroom's counts, refreshed every 15 seconds without reloading the page.
// Served from /static/berichten.js (the CSP allows no inline script). Without JavaScript the
// counts are those of the page as it was loaded.
(function () {
  "use strict";
  var counters = document.querySelectorAll("[data-count]");
  if (!counters.length || !window.fetch) { return; }
  function refresh() {
    fetch("/berichten/aantallen", { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (counts) {
        if (!counts) { return; }
        counters.forEach(function (el) {
          var n = counts[el.getAttribute("data-count")];
          if (typeof n === "number") { el.textContent = String(n); }
        });
      })
      .catch(function () {});
  }
  window.setInterval(refresh, 15000);
})();
