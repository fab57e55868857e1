// Poll the feedback partial while grading runs, then swap it in.
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
        if (fresh && fresh.dataset.pollUrl) setTimeout(poll, 2000);
      })
      .catch(function () { setTimeout(poll, 5000); });
  }
  setTimeout(poll, 1500);
})();
