// Passkeys in the browser: asks the server for a challenge, lets the browser's WebAuthn
// API talk to the authenticator, and sends the answer back. Buttons stay hidden where
// the browser cannot do this, so the page works without it.
(function () {
  "use strict";
  if (!window.PublicKeyCredential || !window.fetch) return;

  function decode(text) {
    var s = text.replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) s += "=";
    var bytes = atob(s);
    var out = new Uint8Array(bytes.length);
    for (var i = 0; i < bytes.length; i++) out[i] = bytes.charCodeAt(i);
    return out.buffer;
  }

  function encode(buffer) {
    var bytes = new Uint8Array(buffer);
    var s = "";
    for (var i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function post(url, body) {
    var token = document.querySelector('meta[name="csrf"]').content;
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": token },
      body: JSON.stringify(body || {})
    }).then(function (r) {
      if (!r.ok) throw new Error("HTTP " + r.status);
      return r.json();
    });
  }

  function register() {
    return post("/passkeys/register/start").then(function (options) {
      var pk = options.publicKey;
      pk.challenge = decode(pk.challenge);
      pk.user.id = decode(pk.user.id);
      (pk.excludeCredentials || []).forEach(function (c) { c.id = decode(c.id); });
      return navigator.credentials.create({ publicKey: pk });
    }).then(function (cred) {
      return post("/passkeys/register/finish", {
        id: cred.id,
        rawId: encode(cred.rawId),
        type: cred.type,
        response: {
          attestationObject: encode(cred.response.attestationObject),
          clientDataJSON: encode(cred.response.clientDataJSON)
        },
        extensions: cred.getClientExtensionResults()
      });
    }).then(function () { window.location.reload(); });
  }

  function signIn() {
    return post("/sign-in/passkey/start").then(function (options) {
      var pk = options.publicKey;
      pk.challenge = decode(pk.challenge);
      (pk.allowCredentials || []).forEach(function (c) { c.id = decode(c.id); });
      return navigator.credentials.get({ publicKey: pk });
    }).then(function (a) {
      return post("/sign-in/passkey/finish", {
        id: a.id,
        rawId: encode(a.rawId),
        type: a.type,
        response: {
          authenticatorData: encode(a.response.authenticatorData),
          clientDataJSON: encode(a.response.clientDataJSON),
          signature: encode(a.response.signature),
          userHandle: a.response.userHandle ? encode(a.response.userHandle) : null
        },
        extensions: a.getClientExtensionResults()
      });
    }).then(function (result) { window.location.href = result.redirect; });
  }

  document.querySelectorAll("[data-passkey]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var status = document.getElementById("passkey-status");
      status.textContent = "";
      var run = button.dataset.passkey === "register" ? register : signIn;
      run().catch(function () { status.textContent = button.dataset.error; });
    });
  });
})();
