// Beredskap's service worker: the channels and pages a person has opened (the contact
// directory, positions, plans, incidents, alerts, the services' state) stay readable when the connection
// drops. Pages are fetched from the network first and kept; without a
// network the kept copy is shown. Nothing is kept after signing out (the server sends
// Clear-Site-Data), and forms, live events, files and administration are never kept; nor
// are the priority list and an incident's calls, since every reading of them is journaled.
"use strict";
const PAGES = "beredskap-pages-v1";
const STATIC = "beredskap-static-v4";
const STATIC_FILES = ["/static/app.css", "/static/live.js", "/static/pwa.js", "/static/offline.js", "/static/mentions.js", "/static/icon.svg"];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(STATIC).then((c) => c.addAll(STATIC_FILES)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== PAGES && k !== STATIC).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

function keepable(url) {
  return (
    url.pathname === "/" ||
    url.pathname.startsWith("/c/") ||
    url.pathname === "/search" ||
    url.pathname === "/positions" ||
    url.pathname === "/services" ||
    url.pathname === "/plans" ||
    /^\/incidents(\/[0-9a-f-]{36})?$/.test(url.pathname) ||
    /^\/plans\/[0-9a-f-]{36}$/.test(url.pathname) ||
    url.pathname === "/alerts" ||
    /^\/alerts\/[0-9a-f-]{36}$/.test(url.pathname) ||
    url.pathname.startsWith("/directory")
  );
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/static/")) {
    event.respondWith(
      caches.match(request).then((hit) => hit || fetch(request).then((response) => {
        const copy = response.clone();
        caches.open(STATIC).then((c) => c.put(request, copy));
        return response;
      })),
    );
    return;
  }
  if (request.mode !== "navigate" || !keepable(url)) return;
  event.respondWith(
    fetch(request)
      .then((response) => {
        // Only real pages: not a redirect to the sign-in page.
        if (response.ok && !response.redirected) {
          const copy = response.clone();
          caches.open(PAGES).then((c) => c.put(request, copy));
        }
        return response;
      })
      .catch(() => caches.match(request).then((hit) => hit || caches.match("/"))
        .then((hit) => hit || new Response("Offline", { status: 503, headers: { "Content-Type": "text/plain; charset=utf-8" } }))),
  );
});

// An alert pushed to this device: shown until the person acts on it; tapping it opens
// the alert's answer page.
self.addEventListener("push", (event) => {
  let message = {};
  try { message = event.data ? event.data.json() : {}; } catch (e) { message = { body: event.data && event.data.text() }; }
  event.waitUntil(self.registration.showNotification(message.title || "Beredskap", {
    body: message.body || "",
    tag: message.tag || undefined,
    data: { url: message.url || "/" },
    requireInteraction: true,
    icon: "/static/icon.svg",
  }));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = (event.notification.data && event.notification.data.url) || "/";
  event.waitUntil(self.clients.openWindow(url));
});
