/* The pipeline board: drag a card to another column (SortableJS), progressive enhancement over
 * each card's "Move" form. Only the columns the card may go to accept it (its data-targets, the
 * server's own list); a stage that needs details (lost reason, deal value, handoff team) opens
 * the dialog; the server decides in the end and answers with a message. */
(function () {
  "use strict";

  var board = document.querySelector("[data-board]");
  if (!board || !window.Sortable || board.hasAttribute("data-readonly")) { return; }
  var dialog = document.getElementById("board-dialog");
  var status = document.getElementById("board-status");

  function targetsOf(card) {
    return (card.getAttribute("data-targets") || "").split(" ").filter(Boolean);
  }

  function say(text) {
    if (status) { status.textContent = text; status.hidden = false; }
  }

  function submitMove(card, stage) {
    var form = card.querySelector("form[data-move]");
    if (!form) { return; }
    var select = form.querySelector("select[name=to]");
    select.value = stage;
    if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
  }

  function openDialog(card, stage, from, oldIndex) {
    var kind = card.getAttribute("data-need-" + stage);
    var template = dialog.querySelector("[data-need='" + kind + "']");
    var form = dialog.querySelector("form");
    form.action = card.getAttribute(kind === "handoff" ? "data-handoff-url" : "data-move-url");
    form.querySelector("[name=to]").value = stage;
    form.querySelector("[name=expected_stage]").value = card.getAttribute("data-stage");
    dialog.querySelectorAll("[data-need]").forEach(function (part) {
      var active = part === template;
      part.hidden = !active;
      part.querySelectorAll("input, select, textarea").forEach(function (field) { field.disabled = !active; });
    });
    dialog.querySelector("[data-dialog-title]").textContent =
      card.getAttribute("data-name") + " → " + board.querySelector("[data-stage-column='" + stage + "']").getAttribute("data-label");
    dialog.returnFocusTo = card;
    dialog.undo = function () { from.insertBefore(card, from.children[oldIndex] || null); };
    dialog.showModal();
    var first = template.querySelector("input, select, textarea");
    if (first) { first.focus(); }
  }

  if (dialog) {
    dialog.addEventListener("close", function () {
      if (dialog.returnValue !== "submitted" && dialog.undo) { dialog.undo(); }
      dialog.undo = null;
    });
    dialog.querySelector("form").addEventListener("submit", function () { dialog.returnValue = "submitted"; });
    dialog.querySelector("[data-dialog-cancel]").addEventListener("click", function () { dialog.close("cancelled"); });
  }

  board.querySelectorAll("[data-cards]").forEach(function (list) {
    window.Sortable.create(list, {
      group: "board",
      sort: false,
      draggable: "[data-card]",
      filter: "a, button, select, input, label",
      preventOnFilter: false,
      forceFallback: true,
      fallbackTolerance: 4,
      animation: 120,
      onStart: function (event) {
        var allowed = targetsOf(event.item);
        board.querySelectorAll("[data-stage-column]").forEach(function (column) {
          var stage = column.getAttribute("data-stage-column");
          var here = stage === event.item.getAttribute("data-stage");
          column.classList.toggle("smk-drop-allowed", allowed.indexOf(stage) !== -1);
          column.classList.toggle("smk-drop-refused", !here && allowed.indexOf(stage) === -1);
        });
      },
      onEnd: function () {
        board.querySelectorAll("[data-stage-column]").forEach(function (column) {
          column.classList.remove("smk-drop-allowed", "smk-drop-refused");
        });
      },
      onAdd: function (event) {
        var card = event.item;
        var stage = event.to.closest("[data-stage-column]").getAttribute("data-stage-column");
        if (targetsOf(card).indexOf(stage) === -1) {
          event.from.insertBefore(card, event.from.children[event.oldIndex] || null);
          say(card.getAttribute("data-refused").replace("__TO__", event.to.closest("[data-stage-column]").getAttribute("data-label")));
          return;
        }
        if (card.hasAttribute("data-need-" + stage) && dialog) {
          openDialog(card, stage, event.from, event.oldIndex);
          return;
        }
        submitMove(card, stage);
      }
    });
  });
})();
