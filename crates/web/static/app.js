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
  // A form with data-bulk-form shows its bulk bar only once something is selected (without
  // this script the bar is always there). The class is set here, so the stylesheet hides the
  // bar only when the script runs.
  function updateBulkBar(form) {
    if (!form.hasAttribute("data-bulk-form")) return;
    var any = form.querySelector("[data-select-item]:checked") !== null;
    var bar = form.querySelector(".bulk-bar");
    // Unticking "Select all" hides the bar it sits in: focus goes back to the first row.
    var focusLost = !any && bar && bar.contains(document.activeElement);
    form.classList.add("bulk-enhanced");
    form.classList.toggle("has-selection", any);
    if (focusLost) {
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
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    var key = event.key;
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
    if (key === "g") {
      pendingG = true;
      pendingTimer = setTimeout(function () { pendingG = false; }, 1500);
    } else if (key === "/") {
      var search = document.querySelector("input[type=search], input[name=q]");
      if (search) {
        event.preventDefault();
        search.focus();
        search.select();
      }
    } else if (key === "n") {
      event.preventDefault();
      window.location.href = "/contacts/new";
    } else if (key === "?") {
      var dialog = document.getElementById("shortcuts");
      if (dialog && dialog.showModal) {
        event.preventDefault();
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
