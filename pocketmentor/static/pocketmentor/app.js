// Pocketmentor in the browser: the service worker, answers kept while offline, the install
// offer. Everything here is an enhancement; every page works without it.
(() => {
  "use strict";
  const body = document.body;
  const text = JSON.parse(document.getElementById("pm-text")?.textContent || "{}");
  const banner = document.getElementById("outbox");
  if ("serviceWorker" in navigator && body.dataset.sw) {
    navigator.serviceWorker.register(body.dataset.sw).catch(() => {});
  }

  // The outbox: answers given without a network, in IndexedDB until the server has them.
  const STORE = "outbox";
  const open = () => new Promise((resolve, reject) => {
    const request = indexedDB.open("pocketmentor", 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: "key" });
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  const run = async (mode, action) => {
    const db = await open();
    return new Promise((resolve, reject) => {
      const transaction = db.transaction(STORE, mode);
      const request = action(transaction.objectStore(STORE));
      transaction.oncomplete = () => resolve(request.result);
      transaction.onerror = () => reject(transaction.error);
    });
  };
  const pending = () => run("readonly", (store) => store.getAll());
  const keep = (item) => run("readwrite", (store) => store.put(item));
  const drop = (key) => run("readwrite", (store) => store.delete(key));

  const say = (message) => {
    if (!banner) return;
    banner.textContent = message;
    banner.hidden = !message;
  };
  const count = (n, one, many) => (n === 1 ? one : many).replace("{n}", n);

  async function showPending() {
    const items = await pending();
    for (const item of items) {
      const section = document.getElementById(item.activity);
      if (section && !section.querySelector(".queued")) {
        section.classList.add("waiting");
        const note = document.createElement("p");
        note.className = "queued";
        note.textContent = text.queued;
        section.querySelector("h3")?.after(note);
      }
    }
    if (items.length) say(count(items.length, text.waiting_one, text.waiting_many));
    return items.length;
  }

  async function queue(form) {
    const data = new URLSearchParams(new FormData(form));
    const keyName = [...data.keys()].find((name) => name.endsWith("-key"));
    const section = form.closest("section.activity");
    await keep({ key: data.get(keyName), url: form.action, body: data.toString(), activity: section?.id });
    await showPending();
  }

  // Send what waits, oldest first; the keys make a second delivery harmless.
  let sending = false;
  async function flush() {
    if (sending || !navigator.onLine) return;
    sending = true;
    let sent = 0;
    try {
      for (const item of await pending()) {
        let response;
        try {
          response = await fetch(item.url, {
            method: "POST",
            body: item.body,
            credentials: "same-origin",
            headers: { "Content-Type": "application/x-www-form-urlencoded", "HX-Request": "true" },
          });
        } catch (error) {
          break; // still offline after all
        }
        if (response.redirected) { say(text.sign_in_again); break; }
        if (response.status >= 500) break;
        await drop(item.key);
        sent += 1;
        const section = document.getElementById(item.activity);
        if (response.ok && section) {
          section.outerHTML = await response.text();
          const fresh = document.getElementById(item.activity);
          if (fresh && window.htmx) window.htmx.process(fresh);
        }
      }
    } finally {
      sending = false;
    }
    const left = await showPending();
    if (sent && !left) say(count(sent, text.sent_one, text.sent_many));
  }

  document.addEventListener("htmx:beforeRequest", (event) => {
    const form = event.detail.elt;
    if (!navigator.onLine && form.tagName === "FORM") {
      event.preventDefault();
      queue(form);
    }
  });
  document.addEventListener("htmx:sendError", (event) => {
    if (event.detail.elt.tagName === "FORM") queue(event.detail.elt);
  });
  window.addEventListener("online", flush);
  if ("indexedDB" in window) showPending().then(flush);

  // Signing out on a shared phone leaves no pages behind.
  document.querySelector("form.sign-out")?.addEventListener("submit", () => {
    if ("caches" in window) caches.delete("pages");
  });

  // Reading: once the last card of a unit has been on screen, say so (once per unit and
  // session, the server keeps count). Without JavaScript, reading is simply not recorded.
  const cards = document.querySelector("section.cards[data-read]");
  const lastCard = cards?.lastElementChild;
  if (lastCard && "IntersectionObserver" in window) {
    const reading = new IntersectionObserver((entries) => {
      if (!entries.some((entry) => entry.isIntersecting)) return;
      reading.disconnect();
      const token = document.querySelector("input[name='csrfmiddlewaretoken']")?.value || "";
      const body = new URLSearchParams({ csrfmiddlewaretoken: token });
      fetch(cards.dataset.read, { method: "POST", body, credentials: "same-origin" }).catch(() => {});
    }, { threshold: 0.5 });
    reading.observe(lastCard);
  }

  // Videos from YouTube or Vimeo load only when the participant asks: nothing is sent to
  // them before. Without JavaScript the link opens the video on its own site.
  document.addEventListener("click", (event) => {
    const link = event.target.closest(".video a");
    if (!link) return;
    event.preventDefault();
    const box = link.closest(".video");
    const frame = document.createElement("iframe");
    frame.src = box.dataset.embed;
    frame.title = box.dataset.title;
    frame.allow = "autoplay; fullscreen; picture-in-picture";
    frame.allowFullscreen = true;
    frame.loading = "lazy";
    box.replaceChildren(frame);
  });

  // The studio's card editor shows only the fields the chosen kind of card uses.
  const cardKind = document.querySelector("select[name='kind']");
  const showCardFields = () => {
    document.querySelectorAll("[data-kinds]").forEach((input) => {
      const field = input.closest(".field");
      if (field) field.hidden = !input.dataset.kinds.split(" ").includes(cardKind.value);
    });
  };
  if (cardKind && document.querySelector("[data-kinds]")) {
    cardKind.addEventListener("change", showCardFields);
    showCardFields();
  }

  // The studio's "Add an option": a new empty row at once instead of a round trip.
  document.querySelectorAll("[data-add-option]").forEach((button) => {
    button.addEventListener("click", (event) => {
      const fieldset = button.closest("fieldset");
      const total = fieldset.querySelector("[name$='-TOTAL_FORMS']");
      const template = fieldset.querySelector("template");
      if (!total || !template) return;
      event.preventDefault();
      const row = template.innerHTML.replaceAll("__prefix__", total.value);
      button.insertAdjacentHTML("beforebegin", row);
      total.value = Number(total.value) + 1;
    });
  });

  // Offer to install right after the participant has done something: a moment of value, not
  // a nag on arrival. The offer floats at the bottom so that nothing on the page moves.
  let installEvent = null;
  const offer = document.getElementById("install");
  window.addEventListener("beforeinstallprompt", (event) => {
    event.preventDefault();
    installEvent = event;
  });
  document.addEventListener("htmx:afterSwap", () => {
    const done = document.querySelector("section.activity.done");
    if (installEvent && offer && done && localStorage.getItem("pm-install") !== "no") {
      offer.hidden = false;
    }
  });
  offer?.querySelector("[data-install]")?.addEventListener("click", () => {
    offer.hidden = true;
    installEvent?.prompt();
    installEvent = null;
  });
  offer?.querySelector("[data-dismiss]")?.addEventListener("click", () => {
    offer.hidden = true;
    localStorage.setItem("pm-install", "no");
  });
  // Browser tests wait for this before they act: every listener above is attached.
  document.documentElement.dataset.ready = "";
})();
