// Import progress: poll the job's JSON status until it finishes, then reload for the report.
(function () {
  "use strict";
  var box = document.getElementById("import-status");
  if (!box || box.dataset.finished === "true") return;
  var url = box.dataset.statusUrl;
  function update(data) {
    Object.keys(data).forEach(function (key) {
      var el = box.querySelector('[data-field="' + key + '"]');
      if (el) el.textContent = data[key];
    });
    var bar = box.querySelector(".progress");
    bar.value = data.percent;
    bar.textContent = data.percent + "%";
    if (data.finished) window.location.reload();
    else window.setTimeout(poll, 1500);
  }
  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(update)
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 1000);
})();
