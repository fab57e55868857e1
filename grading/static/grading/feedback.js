// Poll the feedback partial while grading runs (or a provisional grade waits), then swap it in.
(function () {
  function poll() {
    var box = document.getElementById("grading-feedback");
    if (!box || !box.dataset.pollUrl) return;
    fetch(box.dataset.pollUrl, { headers: { "X-Requested-With": "fetch" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (!html) return setTimeout(poll, 5000);
        var holder = document.createElement("div");
        holder.innerHTML = html;
        var fresh = holder.querySelector("#grading-feedback");
        if (fresh) box.replaceWith(fresh);
        // Every 2 s while grading runs; every 30 s while a provisional grade waits for the LLM.
        if (fresh && fresh.dataset.pollUrl) setTimeout(poll, parseInt(fresh.dataset.pollEvery || "2000", 10));
      })
      .catch(function () { setTimeout(poll, 5000); });
  }
  var first = document.getElementById("grading-feedback");
  setTimeout(poll, first && first.dataset.pollEvery ? parseInt(first.dataset.pollEvery, 10) : 1500);
})();
