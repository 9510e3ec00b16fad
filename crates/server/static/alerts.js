// Keeps an alert's roster current: fetches it again every few seconds while the page is
// visible. Without this script the page has a link that does the same.
(function () {
  "use strict";
  var roster = document.getElementById("roster");
  if (!roster || !roster.dataset.src) return;
  setInterval(function () {
    if (document.hidden) return;
    fetch(roster.dataset.src, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) { if (html !== null) roster.innerHTML = html; })
      .catch(function () {});
  }, 4000);
})();
