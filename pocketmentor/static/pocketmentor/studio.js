// The studio's confirmations in a dialog. A link marked data-confirm leads to a page that
// asks (GET) and holds the form that does it (POST); without JavaScript that page is shown.
// With it, the page's question and form open over the current page in a <dialog>: the
// same words, the same form, posted to the same address; "keep it" closes the dialog.
(() => {
  "use strict";
  if (typeof HTMLDialogElement !== "function") return; // the plain page will do

  async function ask(link) {
    let html;
    try {
      const response = await fetch(link.href, { credentials: "same-origin" });
      if (!response.ok) throw new Error(String(response.status));
      html = await response.text();
    } catch {
      window.location.assign(link.href); // the page then asks, as without JavaScript
      return;
    }
    const page = new DOMParser().parseFromString(html, "text/html");
    const question = page.querySelector("main h1");
    const form = page.querySelector("main form[method='post']");
    if (!question || !form) {
      window.location.assign(link.href);
      return;
    }
    const dialog = document.createElement("dialog");
    dialog.className = "confirm";
    const title = document.createElement("h2");
    title.id = "confirm-title";
    title.textContent = question.textContent;
    dialog.setAttribute("aria-labelledby", title.id);
    dialog.append(title);
    // What the page says between its question and its form: who loses what, and undo.
    for (let node = question.nextElementSibling; node && node !== form; ) {
      const next = node.nextElementSibling;
      if (!node.contains(form)) dialog.append(document.importNode(node, true));
      node = next;
    }
    const copy = document.importNode(form, true);
    copy.action = link.href;
    for (const keep of copy.querySelectorAll("a")) {
      keep.setAttribute("role", "button");
      keep.addEventListener("click", (event) => {
        event.preventDefault();
        dialog.close();
      });
    }
    dialog.append(copy);
    dialog.addEventListener("close", () => {
      dialog.remove();
      link.focus();
    });
    document.body.append(dialog);
    dialog.showModal();
  }

  document.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest("a[data-confirm]");
    if (!link || event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    ask(link);
  });
})();
