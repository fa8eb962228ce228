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

  // The outbox: every answer goes to IndexedDB first and leaves it only when the server has
  // stored it (or refused it for a reason the person must see), so a network error, a
  // timeout, a server error or a closed page loses nothing. The idempotency keys make a
  // second delivery harmless.
  const STORE = "outbox";
  const BOX = "section.activity, section.recall, [data-outbox-box]"; // what holds one answer's form
  const SWAPPED = "section.activity, section.recall"; // answered in place, swapped when stored
  const TIMEOUT = 15000; // milliseconds an answer may take before it is kept and sent again
  const person = body.dataset.person || "";
  const mine = (item) => !item.person || item.person === person;
  let database = null; // one connection for the page's life
  const open = () => (database ??= new Promise((resolve, reject) => {
    const request = indexedDB.open("pocketmentor", 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: "key" });
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => { database = null; reject(request.error); };
  }));
  const run = async (mode, action) => {
    const db = await open();
    return new Promise((resolve, reject) => {
      const transaction = db.transaction(STORE, mode);
      const request = action(transaction.objectStore(STORE));
      transaction.oncomplete = () => resolve(request?.result);
      transaction.onerror = () => reject(transaction.error);
    });
  };
  const pending = async () => (await run("readonly", (store) => store.getAll())).filter(mine);
  const keep = (item) => run("readwrite", (store) => store.put(item));
  const drop = (key) => run("readwrite", (store) => store.delete(key));
  // Change an answer's state unless it was dropped or replaced meanwhile.
  const mark = (key, changes) => run("readwrite", (store) => {
    const request = store.get(key);
    request.onsuccess = () => { if (request.result) store.put({ ...request.result, ...changes }); };
    return request;
  });
  // A newer answer to the same activity (its address) replaces one that has not been sent.
  const supersede = (item) => run("readwrite", (store) => {
    const request = store.getAll();
    request.onsuccess = () => request.result
      .filter((old) => old.url === item.url && mine(old) && old.key !== item.key)
      .forEach((old) => store.delete(old.key));
    return request;
  });

  const uuid = () => {
    if (crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  };
  // A page may be a copy kept by the service worker: its keys may have been used already.
  const freshKeys = (root) => root.querySelectorAll("form[data-outbox] input[name$='-key']")
    .forEach((input) => { input.value = uuid(); });
  let token = document.querySelector("input[name='csrfmiddlewaretoken']")?.value || "";

  const element = (tag, props = {}, ...children) => {
    const node = Object.assign(document.createElement(tag), props);
    node.append(...children);
    return node;
  };
  const link = (href, label) => element("a", { href }, label);
  const count = (n, one, many) => (n === 1 ? one : many).replace("{n}", n);
  const say = (...parts) => {
    if (!banner) return;
    banner.replaceChildren(...parts.filter(Boolean));
    banner.hidden = !banner.childNodes.length;
  };
  const removeButton = (item) => {
    const button = element("button", { type: "button", className: "link" }, text.remove);
    button.addEventListener("click", async () => { await drop(item.key); await showPending(); });
    return button;
  };
  // What the person wrote, to copy when the server will not take it.
  const typed = (item) => [...new URLSearchParams(item.body)]
    .filter(([name]) => name.endsWith("-text")).map(([, value]) => value).join("\n");

  const NOTES = { waiting: "queued", "sign-in": "queued_sign_in", refused: "not_saved", conflict: "not_saved" };

  // Show each waiting answer in its box, as it was written, and say what happens to it.
  async function showPending({ fill = false } = {}) {
    const items = await pending();
    const here = new Set();
    for (const item of items) {
      const section = document.getElementById(item.activity);
      if (!section) continue;
      here.add(item.key);
      section.classList.add("waiting");
      section.querySelector(".queued")?.remove();
      const note = element("p", { className: "queued" }, text[NOTES[item.state]] || text.queued);
      if (item.state === "refused" || item.state === "conflict") note.append(" ", removeButton(item));
      const heading = section.querySelector("h3");
      if (heading) heading.after(note); else section.prepend(note);
      const form = section.querySelector("form[data-outbox]");
      if (fill && form) restore(form, item);
      if (fill && form?.closest("details")) form.closest("details").open = true;
    }
    const waiting = items.filter((item) => item.state === "waiting" || !item.state);
    const signIn = items.filter((item) => item.state === "sign-in");
    const elsewhere = items.filter((item) => ["refused", "conflict"].includes(item.state) && !here.has(item.key));
    const gone = items.filter((item) => item.state === "gone");
    const parts = [];
    if (waiting.length) {
      const [one, many] = navigator.onLine ? [text.retry_one, text.retry_many] : [text.waiting_one, text.waiting_many];
      parts.push(element("p", {}, count(waiting.length, one, many)));
    }
    if (signIn.length) parts.push(element("p", {}, text.sign_in_again, " ", link(text.sign_in_url, text.sign_in)));
    for (const item of elsewhere) parts.push(element("p", {}, text.needs_you, " ", link(item.page, item.title || item.page)));
    for (const item of gone) {
      parts.push(element("p", {}, text.gone), element("textarea", { readOnly: true, value: typed(item), rows: 3 }),
        element("p", {}, removeButton(item)));
    }
    say(...parts);
    return items.length;
  }

  // Put an answer back in its form: the text in its box, the chosen option checked.
  function restore(form, item) {
    const data = new URLSearchParams(item.body);
    for (const field of form.elements) {
      if (!field.name || field.type === "submit" || field.name === "csrfmiddlewaretoken" || field.name.endsWith("-key")) continue;
      const values = data.getAll(field.name);
      if (field.type === "radio" || field.type === "checkbox") field.checked = values.includes(field.value);
      else if (values.length) field.value = values[0];
    }
  }

  async function queue(form, submitter) {
    const data = new URLSearchParams(new FormData(form));
    if (submitter?.name) data.set(submitter.name, submitter.value);
    const keyInput = form.querySelector("input[name$='-key']");
    const section = form.closest(BOX);
    const item = {
      key: keyInput?.value || uuid(), url: form.action, body: data.toString(), activity: section?.id,
      page: location.pathname, title: document.title, person, state: "waiting", at: Date.now(),
      waited: !navigator.onLine,
    };
    await supersede(item);
    await keep(item);
    // The next save of this form is another answer: if this one reached the server after
    // all, the server sees an edit and can tell a newer text from a replay.
    if (keyInput) keyInput.value = uuid();
    if (item.waited) await showPending();
  }

  // Swap in the server's answer for an activity: stored, or why it was not. Elsewhere (My
  // reflections) the page is loaded again, or the answer posted as a page to show why.
  let reload = false;
  function show(item, html, outcome) {
    const section = document.getElementById(item.activity);
    if (!section || !html) return;
    if (!section.matches(SWAPPED)) {
      if (outcome === "stored") reload = true;
      else if (outcome === "refused" || outcome === "conflict") postAsPage(item);
      return;
    }
    const answer = document.createElement("template");
    answer.innerHTML = html;
    // A piece marked hx-swap-oob (the week's counter) replaces its namesake on the page.
    answer.content.querySelectorAll("[hx-swap-oob]").forEach((piece) => {
      piece.removeAttribute("hx-swap-oob");
      document.getElementById(piece.id)?.replaceWith(piece);
    });
    section.replaceWith(answer.content);
    const fresh = document.getElementById(item.activity);
    if (fresh) freshKeys(fresh);
    offerInstall();
  }

  function postAsPage(item) {
    const form = element("form", { method: "post", action: item.url, hidden: true });
    const data = new URLSearchParams(item.body);
    if (token) data.set("csrfmiddlewaretoken", token);
    for (const [name, value] of data) form.append(element("input", { type: "hidden", name, value }));
    document.body.append(form);
    HTMLFormElement.prototype.submit.call(form);
  }

  // The small offline page carries a token like every page, and reading it records nothing.
  async function freshToken() {
    try {
      const response = await fetch(text.token_url, { credentials: "same-origin", cache: "no-store" });
      const found = response.ok && (await response.text()).match(/name="csrfmiddlewaretoken" value="([^"]+)"/);
      if (found) token = found[1];
      return Boolean(found);
    } catch (error) {
      return false;
    }
  }

  // One delivery: "stored", "retry" (network, timeout, server error), or what the person must do.
  async function send(item, again = true) {
    const data = new URLSearchParams(item.body);
    if (token) data.set("csrfmiddlewaretoken", token);
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), TIMEOUT);
    let response;
    let html = "";
    try {
      response = await fetch(item.url, {
        method: "POST",
        body: data,
        credentials: "same-origin",
        redirect: "manual",
        signal: controller.signal,
        headers: item.person ? { "HX-Request": "true", "X-Writer": item.person } : { "HX-Request": "true" },
      });
      html = response.type === "opaqueredirect" ? "" : await response.text();
    } catch (error) {
      return ["retry"];
    } finally {
      clearTimeout(timer);
    }
    if (response.type === "opaqueredirect" || response.status === 401) return ["sign-in"];
    // The token changes with each sign-in: fetch the current one and try once more.
    if (response.status === 403) return again && (await freshToken()) ? send(item, false) : ["sign-in"];
    if (response.ok) return ["stored", html];
    if (response.status === 409) return ["conflict", html];
    if (response.status === 404 || response.status === 410) return ["gone"];
    if (response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429) {
      return ["refused", html];
    }
    return ["retry"];
  }

  // Send what waits, oldest first; after a failure, try again later and later (at most every
  // five minutes). Answers that need the person are tried once per page, to show them why.
  let sending = false;
  let again = false;
  let failures = 0;
  let retryTimer = null;
  const tried = new Set();
  async function flush() {
    if (!navigator.onLine) { idle(); return; }
    if (sending) { again = true; return; }
    sending = true;
    again = false;
    clearTimeout(retryTimer);
    let sent = 0;
    let failed = false;
    try {
      const items = (await pending()).sort((a, b) => (a.at || 0) - (b.at || 0));
      for (const item of items) {
        const state = item.state || "waiting";
        if (state !== "waiting" && state !== "sign-in" && tried.has(item.key)) continue;
        tried.add(item.key);
        document.getElementById(item.activity)?.setAttribute("aria-busy", "true");
        const [outcome, html] = await send(item);
        document.getElementById(item.activity)?.removeAttribute("aria-busy");
        if (outcome === "retry") {
          await mark(item.key, { waited: true });
          failed = true;
          break;
        }
        if (outcome === "stored") {
          await drop(item.key);
          if (item.waited) sent += 1;
        } else {
          await mark(item.key, { state: outcome });
        }
        show(item, html, outcome);
        if (outcome === "sign-in") break; // the others would meet the same
      }
    } finally {
      sending = false;
    }
    if (failed) {
      failures += 1;
      const delay = Math.min(2000 * 2 ** (failures - 1), 300000) * (0.75 + Math.random() / 2);
      retryTimer = setTimeout(flush, delay);
    } else {
      failures = 0;
    }
    const left = await showPending();
    if (sent && !left) say(element("p", {}, count(sent, text.sent_one, text.sent_many)));
    idle();
    if (reload) location.reload();
    else if (again) flush();
  }
  const idle = () => document.querySelectorAll("[aria-busy]")
    .forEach((section) => section.removeAttribute("aria-busy"));

  const outbox = "indexedDB" in window && Boolean(banner);
  document.addEventListener("submit", async (event) => {
    const form = event.target;
    if (!outbox || !form.matches("form[data-outbox]")) return;
    event.preventDefault();
    // A second press while the answer is on its way is the same answer.
    const section = form.closest(BOX);
    if (section?.hasAttribute("aria-busy")) return;
    section?.setAttribute("aria-busy", "true");
    try {
      await queue(form, event.submitter);
    } catch (error) {
      form.submit(); // no storage on this phone: an ordinary post
      return;
    }
    flush();
  });
  window.addEventListener("online", flush);
  document.addEventListener("visibilitychange", () => { if (!document.hidden) flush(); });
  if (outbox) {
    freshKeys(document);
    showPending({ fill: true }).then(flush);
  }

  // Signing out on a shared phone leaves no pages behind (the service worker's copies are in
  // "pages-" caches, one per session; the answer's Clear-Site-Data drops them too).
  document.querySelector("form.sign-out")?.addEventListener("submit", () => {
    if (!("caches" in window)) return;
    caches.keys().then((names) => names.filter((name) => name.startsWith("pages"))
      .forEach((name) => caches.delete(name)));
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
  // Safari on iPhone and iPad offers no prompt: it is told how to add the page by hand.
  const apple = /iPhone|iPad|iPod/.test(navigator.userAgent)
    || (navigator.platform === "MacIntel" && navigator.maxTouchPoints > 1);
  const installed = navigator.standalone || matchMedia("(display-mode: standalone)").matches;
  function offerInstall() {
    const done = document.querySelector("section.activity.done");
    const can = installEvent || (apple && !installed);
    if (can && offer && done && localStorage.getItem("pm-install") !== "no") {
      offer.querySelector("[data-apple]").hidden = !!installEvent;
      offer.querySelector("[data-install]").hidden = !installEvent;
      offer.hidden = false;
    }
  }
  offer?.querySelector("[data-install]")?.addEventListener("click", () => {
    offer.hidden = true;
    installEvent?.prompt();
    installEvent = null;
  });
  offer?.querySelector("[data-dismiss]")?.addEventListener("click", () => {
    offer.hidden = true;
    localStorage.setItem("pm-install", "no");
  });
  // Web Push opt-in on the preferences page: only when the person presses the button and the
  // browser allows it.
  const pushButton = document.getElementById("push-on");
  const pushStatus = document.getElementById("push-status");
  const pushText = JSON.parse(document.getElementById("push-text")?.textContent || "{}");
  if (pushButton && pushStatus && !("serviceWorker" in navigator && "PushManager" in window)) {
    pushStatus.textContent = pushText.unsupported;
  } else if (pushButton && pushStatus) {
    pushButton.hidden = false;
    const key = (base64) => {
      const raw = atob((base64 + "=".repeat((4 - base64.length % 4) % 4)).replace(/-/g, "+").replace(/_/g, "/"));
      return Uint8Array.from(raw, (c) => c.charCodeAt(0));
    };
    const csrf = document.querySelector("input[name=csrfmiddlewaretoken]").value;
    pushButton.addEventListener("click", async () => {
      try {
        if (await Notification.requestPermission() !== "granted") {
          pushStatus.textContent = pushText.denied;
          return;
        }
        const registration = await navigator.serviceWorker.register(pushButton.dataset.sw);
        await navigator.serviceWorker.ready;
        const subscription = await registration.pushManager.subscribe({
          userVisibleOnly: true, applicationServerKey: key(pushButton.dataset.key) });
        const response = await fetch(pushButton.dataset.url, {
          method: "POST", credentials: "same-origin", body: JSON.stringify(subscription),
          headers: { "Content-Type": "application/json", "X-CSRFToken": csrf } });
        pushStatus.textContent = response.ok ? pushText.on : pushText.failed;
      } catch (error) {
        pushStatus.textContent = pushText.failed;
      }
    });
  }

  // One card at a time on a phone: the server sends the whole unit, this shows one card (then
  // one activity) with Back and Next, swipes and the arrow keys, and keeps the place for the
  // session. Wide screens, and anyone who asks for it, keep the whole page.
  const unit = document.querySelector("[data-steps]");
  const stepsNav = document.querySelector("nav.steps");
  if (unit && stepsNav) {
    const narrow = matchMedia("(max-width: 47.99rem)");
    const modes = document.querySelector(".step-mode");
    const where = stepsNav.querySelector(".step-where");
    const dots = stepsNav.querySelector(".dots");
    const [back, next] = stepsNav.querySelectorAll("[data-step]");
    const place = `pm-step-${unit.dataset.steps}`;
    const all = () => [...unit.querySelectorAll(".cards > .card, section.activity")];
    const on = () => narrow.matches && localStorage.getItem("pm-steps") !== "all";
    const target = location.hash && document.getElementById(location.hash.slice(1));
    let at = Number(sessionStorage.getItem(place)) || 0;
    if (target && unit.contains(target)) at = all().findIndex((step) => step.contains(target));
    const paint = () => {
      const steps = all();
      const stepping = on();
      at = Math.max(0, Math.min(at, steps.length - 1));
      unit.classList.toggle("stepping", stepping);
      stepsNav.hidden = !stepping;
      modes.hidden = !narrow.matches;
      modes.querySelector("[data-steps-all]").hidden = !stepping;
      modes.querySelector("[data-steps-one]").hidden = stepping;
      steps.forEach((step, i) => step.classList.toggle("current", stepping && i === at));
      unit.querySelector(".turn").hidden = stepping && !steps[at]?.matches(".activity");
      const text = stepsNav.dataset.where.replace("{n}", at + 1).replace("{total}", steps.length);
      if (where.textContent !== text) where.textContent = text;
      dots.replaceChildren(...steps.map((step, i) => element("li", {
        className: `${i === at ? "on" : ""} ${step.matches(".done") ? "done" : ""}` })));
      back.disabled = at === 0;
      next.disabled = at === steps.length - 1;
    };
    const go = (step) => {
      const steps = all();
      if (!on() || !steps[at + step]) return;
      at += step;
      sessionStorage.setItem(place, at);
      paint();
      const shown = steps[at];
      const heading = shown.querySelector("h1, h2, h3, h4") || shown;
      if (!heading.hasAttribute("tabindex")) heading.tabIndex = -1;
      heading.focus({ preventScroll: true });
      if (shown.getBoundingClientRect().top < 0) shown.scrollIntoView();
    };
    stepsNav.addEventListener("click", (event) => {
      const button = event.target.closest("[data-step]");
      if (button) go(Number(button.dataset.step));
    });
    modes.addEventListener("click", (event) => {
      if (event.target.matches("[data-steps-all]")) localStorage.setItem("pm-steps", "all");
      else if (event.target.matches("[data-steps-one]")) localStorage.removeItem("pm-steps");
      paint();
    });
    const typing = (node) => node.closest("input, textarea, select, video, iframe, [contenteditable]");
    document.addEventListener("keydown", (event) => {
      if (event.altKey || event.ctrlKey || event.metaKey || typing(event.target)) return;
      if (event.key === "ArrowRight") go(1);
      else if (event.key === "ArrowLeft") go(-1);
    });
    let touch = null;
    unit.addEventListener("touchstart", (event) => {
      const [first] = event.touches;
      touch = event.touches.length === 1 && !typing(event.target) ? [first.clientX, first.clientY] : null;
    }, { passive: true });
    unit.addEventListener("touchend", (event) => {
      if (!touch) return;
      const [end] = event.changedTouches;
      const [dx, dy] = [end.clientX - touch[0], end.clientY - touch[1]];
      touch = null;
      if (Math.abs(dx) > 60 && Math.abs(dx) > 2 * Math.abs(dy)) go(dx < 0 ? 1 : -1);
    });
    narrow.addEventListener("change", paint);
    // An answer swapped in by the outbox takes its place among the steps.
    new MutationObserver(paint).observe(unit, { childList: true, subtree: true });
    paint();
  }

  // "Select all" for a list of check boxes (the at-risk list): shown only with JavaScript;
  // without it each box is ticked on its own, or the form's "all" button used.
  for (const all of document.querySelectorAll("input[data-select-all]")) {
    const boxes = () => [...document.querySelectorAll(`input[type=checkbox][name="${all.dataset.selectAll}"]`)]
      .filter((box) => box.form === all.form);
    all.hidden = false;
    all.addEventListener("change", () => { for (const box of boxes()) box.checked = all.checked; });
    document.addEventListener("change", (event) => {
      if (event.target === all || !boxes().includes(event.target)) return;
      const ticked = boxes().filter((box) => box.checked).length;
      all.checked = ticked > 0 && ticked === boxes().length;
      all.indeterminate = ticked > 0 && ticked < boxes().length;
    });
  }

  // Browser tests wait for this before they act: every listener above is attached.
  document.documentElement.dataset.ready = "";
})();
