// Inline comments on the peer-review form: select a passage of the reply, then comment on it.
// Each comment becomes a row of hidden inputs (field, start, end, quote) plus a textarea;
// without JavaScript the form offers a row where the reviewer pastes the passage instead.
(function () {
  var button = document.querySelector("[data-comment-selection]");
  var list = document.querySelector("[data-inline-list]");
  var template = document.querySelector("[data-inline-template]");
  if (!button || !list || !template) return;
  button.hidden = false;
  var pending = null;

  function passageOf(node) {
    while (node && node.nodeType !== 1) node = node.parentNode;
    return node ? node.closest(".peer-passage") : null;
  }

  function currentSelection() {
    var selection = window.getSelection();
    if (!selection || selection.rangeCount === 0 || selection.isCollapsed) return null;
    var range = selection.getRangeAt(0);
    var passage = passageOf(range.startContainer);
    if (!passage || passage !== passageOf(range.endContainer)) return null;
    var before = document.createRange();
    before.selectNodeContents(passage);
    before.setEnd(range.startContainer, range.startOffset);
    var start = before.toString().length;
    var quote = range.toString();
    if (!quote.trim()) return null;
    return { field: passage.dataset.field, start: start, end: start + quote.length, quote: quote };
  }

  document.addEventListener("selectionchange", function () {
    pending = currentSelection();
    button.disabled = !pending;
  });

  function addRow(chosen, body) {
    var row = template.content.firstElementChild.cloneNode(true);
    var id = "inline-body-new-" + (list.children.length + 1);
    row.querySelector("[name=inline_field]").value = chosen.field;
    row.querySelector("[name=inline_start]").value = chosen.start;
    row.querySelector("[name=inline_end]").value = chosen.end;
    row.querySelector("[name=inline_quote]").value = chosen.quote;
    row.querySelector("[data-quote]").textContent = chosen.quote;
    row.querySelector("label").setAttribute("for", id);
    row.querySelector("textarea").id = id;
    row.querySelector("textarea").value = body || "";
    list.appendChild(row);
    return row;
  }

  button.addEventListener("click", function () {
    var chosen = pending || currentSelection();
    if (!chosen) return;
    addRow(chosen).querySelector("textarea").focus();
    window.getSelection().removeAllRanges();
    button.disabled = true;
  });

  // The keyboard way: type the passage's words; the server finds them in the chosen part
  // (fuzzy, text_analysis.passages) and says what it matched.
  var keyboard = document.querySelector("[data-inline-keyboard]");
  if (keyboard) {
    var find = keyboard.querySelector("[data-find-passage]");
    var feedback = keyboard.querySelector("[data-passage-feedback]");
    var part = keyboard.querySelector("[name=inline_field]");
    var quote = keyboard.querySelector("[name=inline_quote]");
    var body = keyboard.querySelector("[name=inline_body]");
    var form = keyboard.closest("form");
    find.hidden = false;
    quote.addEventListener("input", function () { feedback.textContent = ""; });
    find.addEventListener("click", function () {
      var data = new FormData();
      data.set("csrfmiddlewaretoken", form.querySelector("[name=csrfmiddlewaretoken]").value);
      data.set("field", part.value);
      data.set("text", quote.value);
      fetch(keyboard.dataset.passageUrl, {
        method: "POST", body: data, headers: { Accept: "application/json" }, credentials: "same-origin"
      }).then(function (response) { return response.json(); }).then(function (match) {
        feedback.classList.toggle("errorlist", !match.found);
        if (!match.found) {
          feedback.textContent = match.message || "The passage was not found.";
          quote.focus();
          return;
        }
        var row = addRow(
          { field: part.value, start: match.start, end: match.end, quote: match.text },
          body.value
        );
        feedback.textContent = match.message + " Added as comment " + list.children.length +
          (body.value.trim() ? "." : ": write your comment on it.");
        quote.value = ""; body.value = "";
        if (!row.querySelector("textarea").value.trim()) row.querySelector("textarea").focus();
        else quote.focus();
      }, function () {
        feedback.textContent = "Could not reach the server to find the passage; try again.";
      });
    });
  }

  list.addEventListener("click", function (event) {
    if (event.target.matches("[data-remove-inline]")) {
      event.target.closest("li").remove();
    }
  });
})();
