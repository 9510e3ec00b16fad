// Live updates for channel pages: new, changed and removed messages appear without a
// reload. The page works without this script; it only adds to it.
"use strict";
(function () {

  var root = document.querySelector("[data-live]");
  if (!root || !("EventSource" in window)) return;
  var list = root.querySelector("ol.messages");
  var offline = root.querySelector(".offline");
  var channel = root.dataset.channel;
  var thread = root.dataset.thread || null;

  function show(id) {
    var view = thread ? "thread" : "channel";
    return fetch("/m/" + id + "?view=" + view, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html) return;
        var template = document.createElement("template");
        template.innerHTML = html.trim();
        var node = template.content.firstElementChild;
        if (!node) return;
        var existing = document.getElementById("m-" + id);
        if (existing) existing.replaceWith(node);
        else list.appendChild(node);
      });
  }

  // Events are handled one at a time, in order.
  var queue = Promise.resolve();
  var source = new EventSource("/events?after=" + encodeURIComponent(root.dataset.after));
  source.onopen = function () { if (offline) offline.hidden = true; };
  source.onerror = function () { if (offline) offline.hidden = false; };
  source.onmessage = function (e) {
    var event;
    try { event = JSON.parse(e.data); } catch (_) { return; }
    var d = event.data || {};
    if (d.channel_id !== channel) return;
    var id = d.id || d.message;
    if (!id) return;
    if (event.kind === "message.posted") {
      var inView = thread ? (d.id === thread || d.thread_root === thread) : !d.thread_root;
      // An answer elsewhere changes its thread's count of replies.
      if (!inView) {
        if (!thread && d.thread_root) id = d.thread_root; else return;
      }
    } else if (!document.getElementById("m-" + id)) {
      return;
    }
    queue = queue.then(function () { return show(id); }).catch(function () {});
  };
})();
