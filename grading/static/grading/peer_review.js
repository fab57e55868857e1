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

  button.addEventListener("click", function () {
    var chosen = pending || currentSelection();
    if (!chosen) return;
    var row = template.content.firstElementChild.cloneNode(true);
    var id = "inline-body-new-" + (list.children.length + 1);
    row.querySelector("[name=inline_field]").value = chosen.field;
    row.querySelector("[name=inline_start]").value = chosen.start;
    row.querySelector("[name=inline_end]").value = chosen.end;
    row.querySelector("[name=inline_quote]").value = chosen.quote;
    row.querySelector("[data-quote]").textContent = chosen.quote;
    row.querySelector("label").setAttribute("for", id);
    row.querySelector("textarea").id = id;
    list.appendChild(row);
    row.querySelector("textarea").focus();
    window.getSelection().removeAllRanges();
    button.disabled = true;
  });

  list.addEventListener("click", function (event) {
    if (event.target.matches("[data-remove-inline]")) {
      event.target.closest("li").remove();
    }
  });
})();
