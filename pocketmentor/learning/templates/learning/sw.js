// Pocketmentor's service worker: keeps the pages a participant has seen readable offline.
// Answers are kept on the phone by app.js (its outbox) until the server has stored them; it
// sends them from the person's pages (docs/participant-app.md). Posts pass straight through.
const VERSION = "{{ version }}";
const STATIC = "static-" + VERSION;
const PAGES = "pages";
const ASSETS = [{% for url in assets %}"{{ url|escapejs }}", {% endfor %}"{{ offline_url|escapejs }}"];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(STATIC).then((cache) => cache.addAll(ASSETS)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(
        names.filter((name) => name.startsWith("static-") && name !== STATIC).map((name) => caches.delete(name))))
      .then(() => self.clients.claim()));
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/static/")) {
    event.respondWith(caches.match(request).then((hit) => hit || fetch(request)));
  } else if (url.pathname.startsWith("/brand/")) {
    event.respondWith(keep(request));
  } else if (url.pathname.startsWith("/o/") && request.headers.get("HX-Request") !== "true") {
    event.respondWith(networkFirst(request));
  }
});

// Pages: the network when there is one (and keep a copy), else the copy, else the offline page.
async function networkFirst(request) {
  const cache = await caches.open(PAGES);
  try {
    const response = await fetch(request);
    if (response.ok && !response.redirected) cache.put(request, response.clone());
    return response;
  } catch (error) {
    const hit = await cache.match(request, { ignoreSearch: true });
    if (hit) return hit;
    if (request.mode === "navigate") return caches.match("{{ offline_url|escapejs }}");
    throw error;
  }
}

// An organization's colours (/brand/…css): their address changes with them, so the first
// copy is kept with the static files and serves offline pages too.
async function keep(request) {
  const cache = await caches.open(STATIC);
  const hit = await cache.match(request);
  if (hit) return hit;
  const response = await fetch(request);
  if (response.ok) cache.put(request, response.clone());
  return response;
}

// Nudges (pocketmentor/nudges): notifications the server sends with Web Push, once the
// participant turned them on from their preferences page.
self.addEventListener("push", (event) => {
  const data = event.data ? event.data.json() : {};
  event.waitUntil(self.registration.showNotification(data.title || "Pocketmentor", {
    body: data.body || "", tag: data.tag, data: { url: data.url || "/" } }));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = new URL(event.notification.data?.url || "/", self.location.origin);
  const target = url.origin === self.location.origin ? url.href : self.location.origin + "/";
  event.waitUntil(self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((open) => {
    const same = open.find((client) => client.url === target);
    return same ? same.focus() : self.clients.openWindow(target);
  }));
});
