// Scenario editor: select words of the AI draft and add them as a planted error (the
// errors field is YAML; without JavaScript the trainer types the entry).
(function () {
  "use strict";
  var form = document.getElementById("scenario-editor");
  if (!form) return;
  var draft = form.querySelector("textarea[name='draft']");
  var errors = form.querySelector("textarea[name='errors']");
  var button = form.querySelector("[data-mark-error]");
  if (!draft || !errors || !button) return;
  button.hidden = false;
  function quote(text) {
    return "'" + text.replace(/'/g, "''") + "'";
  }
  button.addEventListener("click", function () {
    var span = draft.value.slice(draft.selectionStart, draft.selectionEnd).trim();
    if (!span) {
      button.textContent = "Select words of the draft first";
      return;
    }
    var count = (errors.value.match(/^- id:/gm) || []).length + 1;
    var entry = "- id: error-" + count + "\n  type: wrong_price\n  span: " + quote(span) +
      "\n  fact_id: null\n  correction: ''\n";
    var current = errors.value.trim();
    if (current === "[]") current = "";
    errors.value = (current ? current + "\n" : "") + entry;
    errors.focus();
    button.textContent = "Mark the selected text as a planted error";
  });
})();
