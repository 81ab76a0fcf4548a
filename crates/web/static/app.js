// Developer Hub CRM — small enhancements on top of pages that work without JavaScript.
(function () {
  "use strict";

  // Forms with data-confirm ask before submitting (the server still checks everything;
  // without JavaScript, destructive actions go through a confirmation page instead).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var submitter = event.submitter;
    var message = (submitter && submitter.getAttribute("data-confirm")) ||
      (form.getAttribute && form.getAttribute("data-confirm"));
    if (message) {
      var count = form.querySelectorAll("[data-select-item]:checked").length;
      message = message.replace("{count}", String(count));
      if (!window.confirm(message)) event.preventDefault();
    }
  });

  // "Select all on this page": a checkbox with data-select-all toggles the data-select-item
  // checkboxes of its form; the selection count is shown in [data-select-count].
  function updateSelection(form) {
    var items = form.querySelectorAll("[data-select-item]");
    var checked = form.querySelectorAll("[data-select-item]:checked").length;
    var all = form.querySelector("[data-select-all]");
    if (all) {
      all.checked = items.length > 0 && checked === items.length;
      all.indeterminate = checked > 0 && checked < items.length;
    }
    form.querySelectorAll("[data-select-count]").forEach(function (el) {
      el.textContent = checked === 1 ? "1 selected" : checked + " selected";
    });
  }
  // A form with data-bulk-form shows its bulk bar only once something is selected: the
  // stylesheet decides that (without this script, noscript.css shows the bar always).
  // Unticking "Select all" hides the bar it sits in: focus goes back to the first row.
  function updateBulkBar(form) {
    if (!form.hasAttribute("data-bulk-form")) return;
    var any = form.querySelector("[data-select-item]:checked") !== null;
    var bar = form.querySelector(".bulk-bar");
    if (!any && bar && bar.contains(document.activeElement)) {
      var first = form.querySelector("[data-select-item]");
      if (first) first.focus();
    }
  }
  function initBulkForms() {
    document.querySelectorAll("form[data-bulk-form]").forEach(function (form) {
      // Boxes the browser restored (back button) count as selected.
      updateSelection(form);
      updateBulkBar(form);
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", initBulkForms);
  } else {
    initBulkForms();
  }
  window.addEventListener("pageshow", initBulkForms);
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (!target.form) return;
    if (target.hasAttribute("data-select-all")) {
      target.form.querySelectorAll("[data-select-item]").forEach(function (box) {
        box.checked = target.checked;
      });
    }
    if (target.hasAttribute("data-select-all") || target.hasAttribute("data-select-item")) {
      updateSelection(target.form);
      updateBulkBar(target.form);
    }
  });

  // "Add another e-mail/phone": the form always has one blank row (enough without a
  // script); this copies it, blank, with fresh ids, as often as the limit allows.
  function initAddRows() {
    document.querySelectorAll("[data-add-row]").forEach(function (button) {
      button.hidden = false;
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", initAddRows);
  } else {
    initAddRows();
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-add-row]");
    if (!button) return;
    var group = button.closest("fieldset");
    var rows = group.querySelectorAll("[data-detail-row]");
    var last = rows[rows.length - 1];
    if (!last || rows.length >= 10) return;
    var n = rows.length;
    var copy = last.cloneNode(true);
    copy.classList.remove("has-error");
    copy.querySelectorAll(".field-error").forEach(function (e) { e.remove(); });
    copy.querySelectorAll("input").forEach(function (input) {
      input.value = "";
      input.removeAttribute("aria-invalid");
      input.removeAttribute("aria-describedby");
      input.id = input.id.replace(/-\d+$/, "-" + n);
    });
    copy.querySelectorAll("label").forEach(function (label) {
      label.htmlFor = label.htmlFor.replace(/-\d+$/, "-" + n);
      label.textContent = label.textContent.replace(/\d+$/, String(n + 1));
    });
    last.after(copy);
    copy.querySelector("input").focus();
    if (n + 1 >= 10) button.hidden = true;
  });

  // A link with data-focus="ID" (the contact page's "Log interaction") goes to its place and
  // puts the cursor in the field.
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("[data-focus]");
    if (!link) return;
    var field = document.getElementById(link.getAttribute("data-focus"));
    if (!field) return;
    event.preventDefault();
    field.focus();
    field.scrollIntoView({ block: "center" });
  });

  // Theme toggle: apply at once; the form post still stores the choice in a cookie.
  // "system" drops the choice: the stylesheet follows the system's again.
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-theme-toggle]");
    if (!button) return;
    if (button.value === "light" || button.value === "dark") {
      document.documentElement.setAttribute("data-theme", button.value);
    } else {
      document.documentElement.removeAttribute("data-theme");
    }
  });

  // Keyboard shortcuts, ignored while typing in a field.
  var pendingG = false;
  var pendingTimer = null;
  function typing(el) {
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }
  function visible(el) {
    return !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length);
  }
  var FIELDS = "input:not([type=hidden]):not([disabled]), textarea:not([disabled]), select:not([disabled])";

  // A page's own shortcuts: any element with data-shortcut="KEY" reacts to KEY. A field is
  // focused; a <details> (or a form) opens and its first field is focused; anything else (a
  // link, a button) is clicked. A closed <details> around the element opens first.
  function pageShortcut(key) {
    var all = document.querySelectorAll("[data-shortcut]");
    for (var i = 0; i < all.length; i++) {
      if (all[i].getAttribute("data-shortcut") === key) return all[i];
    }
    return null;
  }
  function runShortcut(el) {
    for (var up = el.parentElement; up; up = up.parentElement) {
      if (up.tagName === "DETAILS" && !up.open) up.open = true;
    }
    if (/^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName)) {
      el.focus();
      if (el.scrollIntoView) el.scrollIntoView({ block: "center" });
    } else if (el.tagName === "DETAILS" || el.tagName === "FORM" || el.tagName === "FIELDSET") {
      if (el.tagName === "DETAILS") el.open = true;
      var field = el.querySelector(FIELDS);
      var target = field || el.querySelector("summary") || el;
      target.focus();
      if (target.scrollIntoView) target.scrollIntoView({ block: "center" });
    } else {
      el.click();
    }
  }
  // The shortcuts dialog lists the page's own shortcuts (their data-shortcut-label).
  function listPageShortcuts(dialog) {
    var box = dialog.querySelector("#page-shortcuts");
    if (!box) return;
    var dl = box.querySelector("dl");
    dl.textContent = "";
    var seen = {};
    document.querySelectorAll("[data-shortcut]").forEach(function (el) {
      var key = el.getAttribute("data-shortcut");
      if (!key || seen[key]) return;
      seen[key] = true;
      var dt = document.createElement("dt");
      var kbd = document.createElement("kbd");
      kbd.textContent = key;
      dt.appendChild(kbd);
      var dd = document.createElement("dd");
      dd.textContent = el.getAttribute("data-shortcut-label") || el.getAttribute("aria-label") ||
        (el.textContent || "").trim() || key;
      dl.appendChild(dt);
      dl.appendChild(dd);
    });
    box.hidden = dl.children.length === 0;
  }

  // Dialogs close on their data-dialog-close buttons and on a click on the backdrop.
  document.addEventListener("click", function (event) {
    var close = event.target.closest && event.target.closest("[data-dialog-close]");
    if (close) {
      var dialog = close.closest("dialog");
      if (dialog) dialog.close();
      return;
    }
    if (event.target.tagName === "DIALOG" && event.target.open) {
      var r = event.target.getBoundingClientRect();
      var inside = event.clientX >= r.left && event.clientX <= r.right &&
        event.clientY >= r.top && event.clientY <= r.bottom;
      if (!inside && event.clientX !== 0) event.target.close();
    }
  });

  // Quick add: the header's "+" (a link to /contacts/quick without this script) and `n`
  // open the small form in a dialog, focused on Name.
  function openQuickAdd() {
    var dialog = document.getElementById("quick-add");
    if (!dialog || !dialog.showModal) {
      window.location.href = "/contacts/quick";
      return;
    }
    if (!dialog.open) dialog.showModal();
    var name = dialog.querySelector("input[name=name]");
    if (name) name.focus();
  }
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("[data-quick-add]");
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
    event.preventDefault();
    openQuickAdd();
  });

  // The search palette: the header's search box (a plain form to /search without this
  // script), `/` and Ctrl/⌘+K open it; results come from /search as JSON as you type.
  var palette = {
    dialog: null, input: null, list: null, status: null,
    timer: null, request: null, results: [], active: -1, lastQuery: null
  };
  function paletteInit() {
    if (palette.dialog) return true;
    palette.dialog = document.getElementById("palette");
    if (!palette.dialog || !palette.dialog.showModal) {
      palette.dialog = null;
      return false;
    }
    palette.input = document.getElementById("palette-q");
    palette.list = document.getElementById("palette-results");
    palette.status = document.getElementById("palette-status");
    palette.input.addEventListener("input", function () { paletteSchedule(); });
    palette.input.addEventListener("keydown", paletteKey);
    palette.list.addEventListener("mousedown", function (event) {
      // Keep the focus in the box while a result is clicked.
      event.preventDefault();
    });
    palette.list.addEventListener("click", function (event) {
      var option = event.target.closest("[role=option]");
      if (option) paletteGo(Number(option.getAttribute("data-index")));
    });
    palette.dialog.addEventListener("close", function () {
      if (palette.request) palette.request.abort();
      clearTimeout(palette.timer);
    });
    return true;
  }
  function openPalette(initial) {
    if (!paletteInit()) {
      var box = document.getElementById("site-search-q");
      if (box) box.focus();
      return;
    }
    var shortcuts = document.getElementById("shortcuts");
    if (shortcuts && shortcuts.open) shortcuts.close();
    if (!palette.dialog.open) palette.dialog.showModal();
    palette.input.focus();
    if (typeof initial === "string" && initial !== "") {
      palette.input.value = initial;
      palette.input.setSelectionRange(initial.length, initial.length);
    } else {
      palette.input.select();
    }
    palette.lastQuery = null;
    paletteFetch();
  }
  function paletteSchedule() {
    clearTimeout(palette.timer);
    palette.timer = setTimeout(paletteFetch, 120);
  }
  function paletteSetActive(index) {
    var options = palette.list.querySelectorAll("[role=option]");
    palette.active = index;
    options.forEach(function (option, i) {
      var on = i === index;
      option.setAttribute("aria-selected", on ? "true" : "false");
      option.classList.toggle("is-active", on);
      if (on && option.scrollIntoView) option.scrollIntoView({ block: "nearest" });
    });
    if (index >= 0 && options[index]) {
      palette.input.setAttribute("aria-activedescendant", options[index].id);
    } else {
      palette.input.removeAttribute("aria-activedescendant");
    }
  }
  function paletteRender(data, q) {
    var list = palette.list;
    list.textContent = "";
    palette.results = [];
    (data.results || []).forEach(function (r) { palette.results.push(r); });
    if (palette.results.length) {
      palette.results.push({
        kind: "all",
        title: "See all results for “" + q + "”",
        subtitle: "",
        url: data.url || ("/search?q=" + encodeURIComponent(q))
      });
    }
    var lastKind = null;
    palette.results.forEach(function (r, i) {
      var li = document.createElement("li");
      li.id = "palette-option-" + i;
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", "false");
      li.setAttribute("data-index", String(i));
      li.className = "palette-option palette-" + r.kind + (r.kind !== lastKind ? " palette-first" : "");
      var kind = document.createElement("span");
      kind.className = "palette-kind";
      kind.textContent = r.kind === "contact" ? "Contact" : r.kind === "interaction" ? "Interaction" : "Search";
      var title = document.createElement("span");
      title.className = "palette-title";
      title.textContent = r.title;
      li.appendChild(kind);
      li.appendChild(title);
      if (r.subtitle) {
        var sub = document.createElement("span");
        sub.className = "palette-subtitle";
        sub.textContent = r.subtitle;
        li.appendChild(sub);
      }
      lastKind = r.kind;
      list.appendChild(li);
    });
    var any = palette.results.length > 0;
    list.hidden = !any;
    palette.input.setAttribute("aria-expanded", any ? "true" : "false");
    paletteSetActive(-1);
    var found = (data.contacts_total || 0) + (data.interactions_total || 0);
    if (!any) {
      palette.status.textContent = "Nothing matches “" + q + "”. Enter searches anyway.";
    } else {
      palette.status.textContent = (data.contacts_total || 0) + " contacts, " +
        (data.interactions_total || 0) + " interactions found" + (found ? "." : "");
    }
  }
  function paletteFetch() {
    var q = palette.input.value.trim();
    if (q === palette.lastQuery) return;
    palette.lastQuery = q;
    if (palette.request) palette.request.abort();
    if (q.length < 2) {
      palette.list.textContent = "";
      palette.list.hidden = true;
      palette.results = [];
      palette.input.setAttribute("aria-expanded", "false");
      paletteSetActive(-1);
      palette.status.textContent = "Type at least two characters: a name, company, e-mail, tag or words from your notes.";
      return;
    }
    var controller = window.AbortController ? new AbortController() : null;
    palette.request = controller;
    fetch("/search?format=json&q=" + encodeURIComponent(q), {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
      signal: controller ? controller.signal : undefined
    }).then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    }).then(function (data) {
      if (palette.request !== controller) return;
      palette.request = null;
      paletteRender(data, q);
    }).catch(function (error) {
      if (error && error.name === "AbortError") return;
      palette.lastQuery = null;
      palette.status.textContent = "The search did not answer. Enter opens the results page.";
    });
  }
  function paletteGo(index) {
    var r = palette.results[index];
    if (!r) return;
    window.location.href = r.url;
  }
  function paletteKey(event) {
    var n = palette.results.length;
    if (event.key === "ArrowDown") {
      event.preventDefault();
      if (n) paletteSetActive(palette.active + 1 >= n ? 0 : palette.active + 1);
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      if (n) paletteSetActive(palette.active <= 0 ? n - 1 : palette.active - 1);
    } else if (event.key === "Home" && palette.active >= 0) {
      event.preventDefault();
      paletteSetActive(0);
    } else if (event.key === "End" && palette.active >= 0) {
      event.preventDefault();
      paletteSetActive(n - 1);
    } else if (event.key === "Enter") {
      if (palette.active >= 0) {
        event.preventDefault();
        paletteGo(palette.active);
      }
      // Nothing chosen: the form goes to the results page.
    } else if (event.key === "Escape") {
      // A search box would only clear itself: Esc closes the palette.
      event.preventDefault();
      palette.dialog.close();
    }
  }
  // The header's search box opens the palette with what is typed; its button too (on a
  // narrow screen the button is all there is).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute || !form.hasAttribute("data-palette-open")) return;
    if (!paletteInit()) return;
    event.preventDefault();
    var box = form.querySelector("input[name=q]");
    openPalette(box ? box.value : "");
  });
  // Clicking into the header's box, or typing in it, opens the palette (a Tab through the
  // header only passes by).
  document.addEventListener("click", function (event) {
    var box = event.target;
    if (box && box.id === "site-search-q" && paletteInit()) openPalette(box.value);
  });
  document.addEventListener("input", function (event) {
    var box = event.target;
    if (box && box.id === "site-search-q" && paletteInit()) {
      var value = box.value;
      box.value = "";
      openPalette(value);
    }
  });

  document.addEventListener("keydown", function (event) {
    var key = event.key;
    // Ctrl/⌘+K: search everywhere, even from a field.
    if ((event.ctrlKey || event.metaKey) && !event.altKey && !event.shiftKey &&
        (key === "k" || key === "K")) {
      event.preventDefault();
      var open = document.getElementById("palette");
      if (open && open.open) {
        open.close();
      } else {
        openPalette();
      }
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    if (document.querySelector("dialog[open]")) return;
    if (pendingG) {
      pendingG = false;
      clearTimeout(pendingTimer);
      var targets = { d: "/dashboard", c: "/contacts", f: "/follow-ups", i: "/interactions" };
      if (targets[key]) {
        event.preventDefault();
        window.location.href = targets[key];
      }
      return;
    }
    var own = key.length === 1 ? pageShortcut(key) : null;
    if (own) {
      event.preventDefault();
      runShortcut(own);
    } else if (key === "g") {
      pendingG = true;
      pendingTimer = setTimeout(function () { pendingG = false; }, 1500);
    } else if (key === "/") {
      // The palette on every page (the contacts' and interactions' own boxes filter their
      // list, and are a Tab away).
      event.preventDefault();
      openPalette();
    } else if (key === "n") {
      event.preventDefault();
      openQuickAdd();
    } else if (key === "?") {
      var dialog = document.getElementById("shortcuts");
      if (dialog && dialog.showModal) {
        event.preventDefault();
        listPageShortcuts(dialog);
        dialog.showModal();
      }
    }
  });

  // Picking a date for a follow-up chooses "On a date" among the quick choices.
  document.addEventListener("input", function (event) {
    var field = event.target;
    if (!field || !field.hasAttribute || !field.hasAttribute("data-when-date")) return;
    var radio = field.form && field.form.querySelector('input[name="when"][value="date"]');
    if (radio && field.value) radio.checked = true;
  });
})();
