// The browser's time zone for forms that ask for it (sign-up, joining a cohort): fills
// every empty <input data-browser-time-zone> with its IANA name, and shows the name in
// every [data-browser-time-zone-name] (the profile page's hint). Without JavaScript the
// fields stay empty and the server uses the site's zone.
(function () {
  "use strict";
  var zone = "";
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch (e) {
    return;
  }
  if (!zone) return;
  document.querySelectorAll("input[data-browser-time-zone]").forEach(function (input) {
    if (!input.value) input.value = zone;
  });
  document.querySelectorAll("[data-browser-time-zone-name]").forEach(function (el) {
    el.textContent = zone;
    var wrapper = el.closest("[data-browser-time-zone-hint]");
    if (wrapper) wrapper.hidden = false;
  });
})();
