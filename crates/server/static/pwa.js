// Installs the service worker that keeps opened channels readable offline.
"use strict";
if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () {});
}
