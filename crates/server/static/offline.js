// Offline on a signed-in page. What the page shows may be out of date (the service worker
// may have served a kept copy): a notice says so, and alerts cannot be answered until the
// connection is back. A message sent from a channel while offline is kept on this device
// with its idempotency key, shown as waiting, and sent when the connection returns; the
// key makes it land once however often it is sent. Without this script nothing changes:
// the forms post as they always do.
"use strict";
(function () {
  var STORE = "beredskap-outbox";
  var notice = document.getElementById("offline-notice");

  function load() {
    try { return JSON.parse(localStorage.getItem(STORE) || "[]"); } catch (_) { return []; }
  }
  function save(items) {
    try { localStorage.setItem(STORE, JSON.stringify(items)); } catch (_) { /* full or blocked */ }
  }

  // Answering needs the server: the buttons wait for the connection.
  function answerable(online) {
    document.querySelectorAll("form.answers button").forEach(function (b) { b.disabled = !online; });
  }

  var form = document.querySelector("form.post");
  var list = document.querySelector("ol.messages");

  // The messages of this page's channel (or thread) that wait on this device.
  function showWaiting() {
    if (!form || !list) return;
    list.querySelectorAll("li.waiting").forEach(function (li) { li.remove(); });
    load().forEach(function (item) {
      if (item.action !== form.action) return;
      var li = document.createElement("li");
      li.className = "message waiting";
      var body = document.createElement("p");
      body.className = "body";
      body.textContent = item.fields.body || "";
      var state = document.createElement("p");
      state.className = "hint";
      state.textContent = form.dataset.waiting || "";
      li.appendChild(body);
      li.appendChild(state);
      list.appendChild(li);
    });
  }

  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return String(Date.now()) + "-" + String(Math.random()).slice(2);
  }

  if (form) {
    form.dataset.waiting = form.dataset.waiting || "";
    form.addEventListener("submit", function (e) {
      if (navigator.onLine) return;
      var file = form.querySelector("input[type=file]");
      // A file cannot be kept here: the browser says it cannot send, as without script.
      if (file && file.files && file.files.length) return;
      e.preventDefault();
      var fields = {};
      new FormData(form).forEach(function (value, name) {
        if (typeof value === "string") fields[name] = value;
      });
      if (!(fields.body || "").trim()) return;
      var items = load();
      items.push({ action: form.action, fields: fields });
      save(items);
      // The next message gets its own key; the kept one keeps its own.
      var key = form.querySelector("input[name=key]");
      if (key) key.value = newKey();
      form.querySelector("textarea[name=body]").value = "";
      showWaiting();
    });
  }

  var sending = false;
  function flush() {
    if (sending || !navigator.onLine) return;
    var items = load();
    if (!items.length) return;
    sending = true;
    var item = items[0];
    var body = new FormData();
    Object.keys(item.fields).forEach(function (name) { body.append(name, item.fields[name]); });
    // This page's form token, not the one kept with the message: the person may have
    // signed in again since.
    var token = document.querySelector("meta[name=csrf]");
    if (token) body.set("csrf", token.content);
    fetch(item.action, { method: "POST", body: body, credentials: "same-origin" })
      .then(function (r) {
        // Sent back to signing in: the session is over; the message waits for the next.
        var signIn = new URL(r.url, location.href).pathname.indexOf("/sign-in") === 0;
        var landed = r.ok && !signIn;
        var refused = !signIn && r.status >= 400 && r.status < 500;
        if (landed || refused) {
          // Landed, or refused for good (then it goes back into the box to be fixed).
          save(load().filter(function (other) {
            return !(other.action === item.action && other.fields.key === item.fields.key);
          }));
          var box = form && form.action === item.action && form.querySelector("textarea[name=body]");
          if (refused && box && !box.value) box.value = item.fields.body || "";
        }
        sending = false;
        showWaiting();
        if (landed || refused) flush();
      })
      .catch(function () { sending = false; });
  }

  function update() {
    var online = navigator.onLine;
    // The words are put in only when they apply, so a screen reader hears them then (the
    // banner is a status region) and nothing else on the page is found by them.
    if (notice) {
      notice.textContent = online ? "" : (notice.dataset.text || "");
      notice.hidden = online;
    }
    answerable(online);
    if (online) flush();
  }

  window.addEventListener("online", update);
  window.addEventListener("offline", update);
  showWaiting();
  update();
})();
