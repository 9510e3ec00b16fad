// "Alerts on this device": subscribes this browser to push and hands the subscription to
// the server, which keeps it as one of the person's contact points. The button stays
// hidden where push is not available (and without JavaScript).
(function () {
  "use strict";
  var button = document.getElementById("push-enable");
  var status = document.getElementById("push-status");
  if (!button || !("serviceWorker" in navigator) || !("PushManager" in window)) return;
  button.hidden = false;
  function say(text) { if (status) status.textContent = text; }
  button.addEventListener("click", function () {
    Notification.requestPermission().then(function (permission) {
      if (permission !== "granted") { say(button.dataset.denied); return null; }
      return Promise.all([
        navigator.serviceWorker.ready,
        fetch("/push/key", { credentials: "same-origin" }).then(function (r) { return r.text(); }),
      ]).then(function (ready) {
        return ready[0].pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: ready[1] });
      }).then(function (subscription) {
        return fetch("/push/subscribe", {
          method: "POST",
          credentials: "same-origin",
          headers: {
            "content-type": "application/json",
            "x-csrf-token": document.querySelector('meta[name="csrf"]').content,
          },
          body: JSON.stringify(subscription),
        });
      }).then(function (response) {
        say(response.ok ? button.dataset.done : button.dataset.failed);
      });
    }).catch(function () { say(button.dataset.failed); });
  });
})();
