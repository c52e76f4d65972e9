/* The SLA editor's small enhancements; every step works without this file.
 *
 * - "Add a …" buttons (data-add-row) clone the formset's <template id="empty-PREFIX"> in place
 *   instead of reloading the step with one more row.
 * - A "Remove" checkbox (data-remove-row) greys its row out (the row goes when the step is saved).
 * - Choosing another commitment (data-commitment-key) rebuilds the row's sentence from
 *   <template id="sentence-KEY">, moving the row's own inputs into its slots: what was typed stays.
 */
(function () {
  "use strict";

  function addRow(prefix) {
    var template = document.getElementById("empty-" + prefix);
    var rows = document.querySelector("[data-formset='" + prefix + "']");
    var total = document.querySelector("input[name='" + prefix + "-TOTAL_FORMS']");
    if (!template || !rows || !total) { return false; }
    var index = parseInt(total.value, 10) || 0;
    var holder = document.createElement("div");
    holder.innerHTML = template.innerHTML.replace(/__prefix__/g, String(index));
    var row = holder.firstElementChild;
    rows.appendChild(row);
    total.value = String(index + 1);
    var first = row.querySelector("select, input:not([type=hidden]):not([type=checkbox]), textarea");
    if (first) { first.focus(); }
    return true;
  }

  function rebuildSentence(select) {
    var row = select.closest("[data-row]");
    if (!row) { return; }
    var sentence = row.querySelector("[data-sentence]");
    var unused = row.querySelector("[data-unused]");
    var template = document.getElementById("sentence-" + select.value);
    if (!sentence || !unused || !template) { return; }
    var inputs = {};
    row.querySelectorAll("[data-figure]").forEach(function (input) {
      inputs[input.getAttribute("data-figure")] = input;
    });
    var fresh = document.createElement("span");
    fresh.innerHTML = template.innerHTML;
    fresh.querySelectorAll("[data-slot]").forEach(function (slot) {
      var input = inputs[slot.getAttribute("data-slot")];
      if (input) {
        slot.replaceWith(input);
        delete inputs[slot.getAttribute("data-slot")];
      }
    });
    Object.keys(inputs).forEach(function (name) { unused.appendChild(inputs[name]); });
    sentence.textContent = "";
    while (fresh.firstChild) { sentence.appendChild(fresh.firstChild); }
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-add-row]");
    if (button && addRow(button.getAttribute("data-add-row"))) {
      event.preventDefault();
    }
  });

  document.addEventListener("change", function (event) {
    var field = event.target;
    if (field.matches("[data-remove-row]")) {
      var row = field.closest("[data-row]");
      if (row) { row.classList.toggle("is-removed", field.checked); }
    } else if (field.matches("[data-commitment-key]")) {
      rebuildSentence(field);
    }
  });
})();
