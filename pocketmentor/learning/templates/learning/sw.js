// Pocketmentor's service worker: keeps the pages a participant has seen readable offline.
// Answers are kept on the phone by app.js (its outbox) until the server has stored them; it
// sends them from the person's pages (docs/participant-app.md). Posts pass straight through.
//
// A phone may be shared: the copies belong to one signed-in session. Every page the server
// makes for a session names it in X-Pocketmentor-Person (a value that tells nothing about
// the session), or says "none" when nobody is signed in. The copies are kept in the cache
// "pages-<that name>"; an answer naming another session (someone else signed in) or none
// (signed out, the session deleted, the person deactivated) drops every other copy first.
// Offline, pages come only from that one cache; when there is not exactly one, the phone
// does not know who is signed in and shows the offline page.
const VERSION = "{{ version }}";
const STATIC = "static-" + VERSION;
const PAGES = "pages-";
const PERSON = "X-Pocketmentor-Person";
const OFFLINE = "{{ offline_url|escapejs }}";
const ASSETS = [{% for url in assets %}"{{ url|escapejs }}", {% endfor %}OFFLINE];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(STATIC).then((cache) => cache.addAll(ASSETS)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(
        // Older static files, and the pages of a version that kept them for everyone ("pages").
        names.filter((name) => (name.startsWith("static-") && name !== STATIC) || name === "pages")
          .map((name) => caches.delete(name))))
      .then(() => self.clients.claim()));
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/static/")) {
    event.respondWith(caches.match(request).then((hit) => hit || fetch(request)));
  } else if (url.pathname.startsWith("/brand/")) {
    event.respondWith(brand(request));
  } else if (url.pathname.startsWith("/o/") && request.headers.get("HX-Request") !== "true") {
    event.respondWith(networkFirst(request));
  } else if (request.mode === "navigate") {
    event.respondWith(watch(request)); // sign-in, sign-out, studio: only who is signed in
  }
});

// Participant pages: the network when there is one (and keep a copy for the session that
// asked), else that session's copy, else the offline page.
async function networkFirst(request) {
  let response;
  try {
    response = await fetch(request);
  } catch (error) {
    const cache = await current();
    const hit = cache && await cache.match(request, { ignoreSearch: true });
    if (hit) return hit;
    if (request.mode === "navigate") return caches.match(OFFLINE);
    throw error;
  }
  const keep = await settle(response);
  if (keep && response.ok && !response.redirected) {
    // Kept before the page shows, so that a phone offline right after has it; a copy that
    // cannot be kept (storage full) never keeps the page from showing.
    await caches.open(keep).then((cache) => cache.put(request, response.clone())).catch(() => {});
  }
  return response;
}

// Any other page passes through; what it says about who is signed in still counts.
async function watch(request) {
  const response = await fetch(request);
  await settle(response);
  return response;
}

// The cache for the session this answer names, after dropping every other session's copies;
// null when the answer names nobody (signed out) or does not say (a redirect, an outage).
async function settle(response) {
  if (response.type === "opaqueredirect" || response.status >= 500) return null;
  const person = response.headers.get(PERSON);
  if (!person) return null;
  const keep = person === "none" ? null : PAGES + person;
  const names = await caches.keys();
  await Promise.all(names.filter((name) => name.startsWith(PAGES) && name !== keep)
    .map((name) => caches.delete(name)));
  return keep;
}

// The copies of the session last seen signed in: the one cache of pages left, or none.
async function current() {
  const names = (await caches.keys()).filter((name) => name.startsWith(PAGES));
  return names.length === 1 ? caches.open(names[0]) : null;
}

// An organization's colours (/brand/…css): their address changes with them, so the first
// copy is kept with the static files and serves offline pages too.
async function brand(request) {
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
