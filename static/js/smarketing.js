/* smarketing: small progressive enhancements. Every page works without this file. */
(function () {
  "use strict";

  document.documentElement.classList.add("js");

  // <select data-autosubmit> submits its form on change (language switch, list filters);
  // the form keeps a submit button for browsers without JavaScript.
  document.addEventListener("change", function (event) {
    var field = event.target;
    if (field.matches && field.matches("[data-autosubmit]") && field.form) {
      if (field.form.requestSubmit) {
        field.form.requestSubmit();
      } else {
        field.form.submit();
      }
    }
  });

  // <button data-print> prints the page (no inline handlers: the Content-Security-Policy forbids them).
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-print]");
    if (button) {
      window.print();
    }
  });

  // A form with data-confirm="…" asks before submitting (destructive or irreversible actions).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });

  // htmx: mark the region being refreshed busy for assistive technology, and show the
  // global progress bar while any request runs.
  var pending = 0;
  function setBusy(event, busy) {
    var target = event.detail && event.detail.target;
    if (target && target.setAttribute) {
      if (busy) {
        target.setAttribute("aria-busy", "true");
      } else {
        target.removeAttribute("aria-busy");
      }
    }
    pending = Math.max(0, pending + (busy ? 1 : -1));
    document.documentElement.classList.toggle("htmx-busy", pending > 0);
  }
  document.addEventListener("htmx:beforeRequest", function (event) { setBusy(event, true); });
  document.addEventListener("htmx:afterRequest", function (event) { setBusy(event, false); });

  // Live progress bars (<div class="progress" data-progress-for="…">) keep their ARIA values
  // in step with the width htmx swaps in, so screen readers announce the same figure.
  document.addEventListener("htmx:afterSwap", function (event) {
    var root = event.detail && event.detail.target;
    if (!root || !root.querySelectorAll) { return; }
    root.querySelectorAll(".progress[role=progressbar][data-value]").forEach(function (bar) {
      var value = bar.getAttribute("data-value");
      bar.setAttribute("aria-valuenow", value);
      var fill = bar.querySelector(".progress-bar");
      if (fill) { fill.style.width = value + "%"; }
    });
  });
})();

// Copy buttons (<button data-copy="field-id" data-copied="Copied">): the field's value to the
// clipboard, then the button says so for two seconds; the field is selected if the clipboard is refused.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button[data-copy]");
    if (!button) { return; }
    var field = document.getElementById(button.getAttribute("data-copy"));
    if (!field) { return; }
    var label = button.innerHTML;
    function done() {
      button.textContent = button.getAttribute("data-copied") || "✓";
      setTimeout(function () { button.innerHTML = label; }, 2000);
    }
    field.select();
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(done, function () { field.select(); });
    } else {
      try { if (document.execCommand("copy")) { done(); } } catch (error) { /* the field stays selected */ }
    }
  });
})();
