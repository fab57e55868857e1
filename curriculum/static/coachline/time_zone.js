// The browser's time zone for forms that ask for it (sign-up, joining a cohort): fills
// every empty <input data-browser-time-zone> with its IANA name, and shows the name in
// every [data-browser-time-zone-name] (the profile page's hint, whose button puts it in the
// zone list). Without JavaScript the fields stay empty and the server uses the site's zone.
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
  // The profile's hint and its "Use this zone" button (shown only when the list has it).
  document.querySelectorAll("[data-browser-time-zone-name]").forEach(function (el) {
    el.textContent = zone;
    var wrapper = el.closest("[data-browser-time-zone-hint]");
    if (wrapper) wrapper.hidden = false;
  });
  document.querySelectorAll("[data-use-browser-time-zone]").forEach(function (button) {
    var select = document.getElementById(button.getAttribute("data-use-browser-time-zone"));
    var known = select && Array.prototype.some.call(select.options, function (option) {
      return option.value === zone;
    });
    if (!known || select.value === zone) {
      button.remove();
      return;
    }
    button.addEventListener("click", function () {
      select.value = zone;
      select.focus();  // before the button goes, so focus never drops to the page
      button.remove();
    });
  });
})();
