// Suggestions as someone types a mention in a channel's composer: after "@" and a letter
// or more, the names that fit are listed under the field; arrow keys move, Enter or Tab
// (or a tap) puts "@Full Name " in place, Escape closes. Without this script `@Full Name`
// typed out works the same; the list is only an aid.
"use strict";
(function () {
  var body = document.getElementById("body");
  if (!body || !window.fetch) return;
  var list = document.createElement("ul");
  list.id = "mention-list";
  list.className = "mention-list";
  list.setAttribute("role", "listbox");
  list.setAttribute("aria-label", body.getAttribute("data-mention-label") || "");
  list.hidden = true;
  body.insertAdjacentElement("afterend", list);
  var status = document.createElement("p");
  status.className = "visually-hidden";
  status.setAttribute("role", "status");
  list.insertAdjacentElement("afterend", status);
  body.setAttribute("aria-autocomplete", "list");
  body.setAttribute("aria-controls", list.id);

  var names = [];
  var active = -1;
  var timer = null;
  var asked = 0;

  // What is typed after the "@" just before the caret: up to three words, no line break.
  function typed() {
    var before = body.value.slice(0, body.selectionStart);
    var at = before.lastIndexOf("@");
    if (at < 0 || (at > 0 && /[\w.]/.test(before.charAt(at - 1)))) return null;
    var words = before.slice(at + 1);
    if (!/^[^\s@][^@\n]{0,39}$/.test(words) || words.split(" ").length > 3) return null;
    return { at: at, text: words };
  }

  function close() {
    names = [];
    active = -1;
    list.hidden = true;
    list.textContent = "";
    body.removeAttribute("aria-activedescendant");
  }

  function show() {
    list.textContent = "";
    names.forEach(function (name, i) {
      var li = document.createElement("li");
      li.id = "mention-" + i;
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", i === active ? "true" : "false");
      li.textContent = name;
      // Before the field loses focus, so the tap picks the name.
      li.addEventListener("mousedown", function (e) { e.preventDefault(); pick(i); });
      list.appendChild(li);
    });
    list.hidden = names.length === 0;
    if (active >= 0) body.setAttribute("aria-activedescendant", "mention-" + active);
    else body.removeAttribute("aria-activedescendant");
  }

  function pick(i) {
    var t = typed();
    if (!t || !names[i]) return close();
    var end = body.selectionStart;
    var mention = "@" + names[i] + " ";
    body.value = body.value.slice(0, t.at) + mention + body.value.slice(end);
    var caret = t.at + mention.length;
    body.setSelectionRange(caret, caret);
    close();
    body.focus();
  }

  function ask() {
    var t = typed();
    if (!t) return close();
    var n = ++asked;
    fetch("/mentions?q=" + encodeURIComponent(t.text), { credentials: "same-origin", headers: { accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : []; })
      .then(function (found) {
        // An answer to an older question, or the person typed on: leave it.
        if (n !== asked) return;
        names = Array.isArray(found) ? found : [];
        active = names.length ? 0 : -1;
        show();
        status.textContent = names.length ? (body.getAttribute("data-mention-help") || "") : "";
      })
      .catch(close);
  }

  body.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(ask, 150);
  });
  body.addEventListener("keydown", function (e) {
    if (list.hidden) return;
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      active = (active + (e.key === "ArrowDown" ? 1 : names.length - 1)) % names.length;
      show();
    } else if ((e.key === "Enter" || e.key === "Tab") && active >= 0) {
      e.preventDefault();
      pick(active);
    } else if (e.key === "Escape") {
      e.preventDefault();
      close();
    }
  });
  body.addEventListener("blur", function () { setTimeout(close, 100); });
})();
