/* The workspace, progressively enhanced: autosave with revisions, a localStorage mirror,
 * AI drafts with polling, audit selection, word counts. Without JavaScript the form still
 * saves, requests drafts and submits through ordinary POSTs. */
(function () {
  "use strict";
  var form = document.getElementById("workspace-form");
  if (!form) return;

  var SAVE_DELAY = 800;
  var POLL_EVERY = 1500;
  var POLL_FOR = 120000;
  var storageKey = form.dataset.storageKey;
  var revisionInput = form.querySelector("[data-revision]");
  var draftUsedInput = form.querySelector("[data-draft-used]");
  var statusEl = form.querySelector("[data-autosave-status]");
  var announceEl = form.querySelector("[data-autosave-announce]");
  var conflictBox = document.querySelector("[data-conflict-notice]");
  var reply = form.querySelector("[data-reply]");
  var SKIP = { csrfmiddlewaretoken: 1, client_token: 1, revision: 1 };
  var timer = null;
  var queue = Promise.resolve();
  var conflicted = false;
  var saving = 0; // requests that store the answer (autosave, drafts) still on their way

  document.querySelectorAll(".js-only").forEach(function (el) { el.hidden = false; });

  function setStatus(text, isError) {
    if (!statusEl) return;
    showingSaved = false;
    statusEl.textContent = text;
    statusEl.classList.toggle("error", !!isError);
    // Screen readers hear errors at once; "Unsaved changes…" and "Saving…" (every
    // keystroke) never; "Saved" through showSaved, once typing has paused.
    if (isError) announce(text);
  }

  function announce(text) {
    if (announceEl && announceEl.textContent !== text) announceEl.textContent = text;
  }

  // ---- "Saved just now", then "Saved 3 minutes ago", kept current -------------------------
  // Times are on the server's clock: `clockSkew` is how far this browser's clock is ahead.
  var savedAt = null;
  var showingSaved = false;
  var clockSkew = 0;

  function plural(n, unit) { return n + " " + unit + (n === 1 ? "" : "s"); }

  // "just now", "3 minutes ago": relative, so it needs no time zone. Dates themselves are
  // formatted by the server, in the reader's zone (curriculum/dates.py).
  function ago(milliseconds) {
    var seconds = Math.max(0, milliseconds / 1000);
    var minutes = Math.floor(seconds / 60), hours = Math.floor(minutes / 60);
    if (minutes < 1) return "just now";
    if (hours < 1) return plural(minutes, "minute") + " ago";
    if (hours < 24) return plural(hours, "hour") + " ago";
    return plural(Math.floor(hours / 24), "day") + " ago";
  }

  function savedText() { return "Saved " + ago(Date.now() - clockSkew - savedAt); }

  function showSaved(at) {
    savedAt = at === undefined ? Date.now() - clockSkew : at;
    setStatus(savedText());
    showingSaved = true;
    if (at === undefined) announce("Saved."); // a save just now, not the page loading
  }

  if (statusEl && statusEl.dataset.savedAt) {
    var serverNow = Date.parse(statusEl.dataset.serverNow);
    clockSkew = isNaN(serverNow) ? 0 : Date.now() - serverNow;
    var loadedSavedAt = Date.parse(statusEl.dataset.savedAt);
    if (!isNaN(loadedSavedAt)) showSaved(loadedSavedAt);
  }
  setInterval(function () { if (showingSaved) statusEl.textContent = savedText(); }, 20000);

  function revision() { return parseInt(revisionInput.value || "0", 10); }

  // ---- the localStorage mirror -------------------------------------------------------
  function fields() {
    var data = {};
    new FormData(form).forEach(function (value, name) {
      if (SKIP[name] || typeof value !== "string") return;
      (data[name] = data[name] || []).push(value);
    });
    return data;
  }

  function readStore() {
    try { return JSON.parse(localStorage.getItem(storageKey) || "null"); } catch (e) { return null; }
  }

  function writeStore(dirty) {
    try {
      localStorage.setItem(storageKey, JSON.stringify({
        revision: revision(), dirty: dirty, fields: fields(), at: new Date().toISOString()
      }));
    } catch (e) { /* storage full or disabled: the server copy still works */ }
  }

  function applyFields(data) {
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || SKIP[el.name] || !(el.name in data) && el.type !== "checkbox" && el.type !== "radio") return;
      var values = data[el.name] || [];
      if (el.type === "checkbox" || el.type === "radio") {
        el.checked = values.indexOf(el.value) !== -1;
      } else if (el.tagName !== "BUTTON") {
        el.value = values[0] || "";
      }
    });
    renderFindings();
    updateCounts();
  }

  // ---- saving ----------------------------------------------------------------------------
  function enqueue(job) {
    queue = queue.then(job, job);
    return queue;
  }

  function post(url) {
    var body = new FormData(form);
    body.set("revision", String(revision()));
    saving += 1;
    var done = function (value) { saving -= 1; return value; };
    var failed = function (error) { saving -= 1; throw error; };
    return fetch(url, {
      method: "POST",
      body: body,
      headers: { Accept: "application/json" },
      credentials: "same-origin"
    }).then(function (response) {
      var retryAfter = parseInt(response.headers.get("Retry-After") || "0", 10) || 0;
      return response.json().catch(function () { return {}; }).then(function (data) {
        return { status: response.status, data: data, retryAfter: retryAfter };
      });
    }).then(done, failed);
  }

  function showConflict(data) {
    conflicted = true;
    if (!conflictBox) return;
    conflictBox.querySelector("[data-conflict-text]").textContent = data.message || "This exercise was saved in another tab.";
    conflictBox.dataset.revision = data.revision;
    conflictBox.hidden = false;
    setStatus("Not saved: newer work exists elsewhere.", true);
    conflictBox.scrollIntoView({ block: "center" });
  }

  function handleFailure(result) {
    if (result.status === 409) { showConflict(result.data); return; }
    if (result.data && result.data.revision !== undefined) {
      revisionInput.value = result.data.revision;
      writeStore(false);
    }
    setStatus((result.data && result.data.message) || "Not saved. Your changes are kept in this browser; retrying…", true);
  }

  // A busy database (503, someone else is saving), a server error or no network: keep the
  // text (the localStorage mirror stays dirty) and retry with capped exponential backoff,
  // honouring the server's Retry-After. Typing meanwhile is saved by the same retry.
  var failures = 0;
  var RETRY_BASE = 1000;
  var RETRY_CAP = 30000;

  function retryLater(reason, retryAfterSeconds) {
    var delay = Math.min(RETRY_CAP, RETRY_BASE * Math.pow(2, failures));
    delay = delay / 2 + Math.random() * delay / 2;
    if (retryAfterSeconds) delay = Math.max(delay, retryAfterSeconds * 1000);
    failures += 1;
    setStatus(reason + " Not saved yet — retrying in " + Math.ceil(delay / 1000) + " s. Your text is kept in this browser.", true);
    scheduleSave(delay);
  }

  function save() {
    clearTimeout(timer);
    timer = null;
    if (conflicted) return queue;
    return enqueue(function () {
      setStatus("Saving…");
      return post(form.dataset.saveUrl).then(function (result) {
        if (result.status === 200) {
          failures = 0;
          revisionInput.value = result.data.revision;
          writeStore(false);
          showSaved();
        } else if (result.status >= 500 || result.status === 429) {
          retryLater((result.data && result.data.message) || "The server could not save just now.", result.retryAfter);
        } else {
          handleFailure(result);
        }
      }, function () {
        retryLater("Offline.");
      });
    });
  }

  function scheduleSave(delay) {
    clearTimeout(timer);
    timer = setTimeout(save, delay || SAVE_DELAY);
  }

  function changed(event) {
    announce("");
    if (event && event.target && /^new_finding_/.test(event.target.name || "")) {
      writeStore(true);
      return;
    }
    writeStore(true);
    setStatus("Unsaved changes…");
    updateCounts(true);
    scheduleSave();
  }

  form.addEventListener("input", changed);
  form.addEventListener("change", changed);

  if (conflictBox) {
    conflictBox.querySelector("[data-conflict-load]").addEventListener("click", function () {
      try { localStorage.setItem(storageKey + ":backup", JSON.stringify(readStore())); } catch (e) {}
      try { localStorage.removeItem(storageKey); } catch (e) {}
      window.location.reload();
    });
    conflictBox.querySelector("[data-conflict-keep]").addEventListener("click", function () {
      revisionInput.value = conflictBox.dataset.revision;
      conflictBox.hidden = true;
      conflicted = false;
      save();
    });
  }

  // ---- restore what a failed request or a closed tab left in this browser -----------------
  (function restore() {
    var stored = readStore();
    if (!stored || !stored.dirty || !stored.fields) return;
    if (stored.revision === revision()) {
      applyFields(stored.fields);
      setStatus("Restored unsaved changes from this browser; saving…");
      save();
    } else if (stored.revision < revision() && conflictBox) {
      conflicted = true;
      conflictBox.querySelector("[data-conflict-text]").textContent =
        "This browser has unsaved changes from " +
        (isNaN(Date.parse(stored.at)) ? "earlier" : ago(Date.now() - Date.parse(stored.at))) +
        ", but newer work was saved since. Load the newer version (shown now), or keep the changes from this browser.";
      conflictBox.dataset.revision = revision();
      conflictBox.querySelector("[data-conflict-load]").textContent = "Keep the newer version";
      conflictBox.querySelector("[data-conflict-keep]").textContent = "Restore this browser's changes";
      conflictBox.querySelector("[data-conflict-keep]").addEventListener("click", function () {
        applyFields(stored.fields);
      }, { once: true, capture: true });
      conflictBox.hidden = false;
    }
  })();

  // ---- AI drafts ---------------------------------------------------------------------------
  function panelFor(variant) {
    return form.querySelector('[data-draft-panel][data-variant="' + variant + '"]');
  }

  function replacePanel(draft) {
    var panel = panelFor(draft.variant);
    if (!panel) return;
    var holder = document.createElement("div");
    holder.innerHTML = draft.html; // server-rendered, auto-escaped template
    var fresh = holder.firstElementChild;
    var hadFocus = panel.contains(document.activeElement);
    panel.replaceWith(fresh);
    // Replacing the focused panel would drop focus to the page body: keep it on the panel.
    if (hadFocus) fresh.focus({ preventScroll: true });
    return fresh;
  }

  function fillReply(draft) {
    if (!reply || reply.value.trim() || draft.status !== "done") return;
    if (draft.variant !== "default" && draft.variant !== "with_context") return;
    reply.value = draft.text;
    draftUsedInput.value = draft.id;
    changed();
  }

  function poll(draft, startedAt) {
    if (draft.status !== "pending") { fillReply(draft); return; }
    if (Date.now() - startedAt > POLL_FOR) {
      var panel = panelFor(draft.variant);
      if (panel) panel.insertAdjacentHTML("beforeend", '<p class="errorlist" role="alert">The draft is taking too long. Your work is saved; reload the page or try again.</p>');
      return;
    }
    setTimeout(function () {
      fetch(draft.status_url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (fresh) {
          if (fresh.status !== "pending") replacePanel(fresh);
          poll(fresh, startedAt);
        }, function () { poll(draft, startedAt); });
    }, POLL_EVERY);
  }

  // The button stays enabled while the request runs (a disabled button loses the keyboard
  // focus to the page body); aria-disabled says it is busy and a second press is ignored.
  function requestDraft(button) {
    if (button.getAttribute("aria-disabled") === "true") return;
    clearTimeout(timer);
    button.setAttribute("aria-disabled", "true");
    setStatus("Saving and asking for a draft…");
    enqueue(function () {
      return post(form.dataset.draftUrl).then(function (result) {
        button.removeAttribute("aria-disabled");
        var old = button.parentNode.querySelector("[data-draft-message]");
        if (old) old.remove();
        if (result.status !== 200) {
          handleFailure(result);
          if (result.status !== 409) {
            var note = document.createElement("span");
            note.className = "errorlist";
            note.setAttribute("role", "alert");
            note.dataset.draftMessage = "";
            note.textContent = " " + ((result.data && result.data.message) || "The draft could not be requested; try again.");
            button.insertAdjacentElement("afterend", note);
          }
          return;
        }
        revisionInput.value = result.data.revision;
        writeStore(false);
        showSaved();
        var first = null;
        result.data.drafts.forEach(function (draft) {
          var panel = replacePanel(draft);
          first = first || panel;
          poll(draft, Date.now());
        });
        // Focus goes to the new draft (or its "Generating…" status), where the work goes on.
        if (first) first.focus({ preventScroll: true });
        var target = document.getElementById("drafts");
        if (target) target.scrollIntoView({ block: "start", behavior: "smooth" });
      }, function () {
        button.removeAttribute("aria-disabled");
        setStatus("Could not reach the server. Your work is kept in this browser; try again.", true);
      });
    });
  }

  // ---- prompt templates: saved, then appended to the prompt by the server -----------------
  function insertTemplate(button) {
    clearTimeout(timer);
    var status = form.querySelector("[data-template-status]");
    var prompt = form.querySelector("#id_prompt");
    button.disabled = true;
    if (status) { status.textContent = "Inserting…"; status.classList.remove("errorlist"); }
    enqueue(function () {
      return post(button.getAttribute("formaction")).then(function (result) {
        button.disabled = false;
        if (result.status !== 200) {
          handleFailure(result);
          if (status) {
            status.textContent = result.status === 409 ? "" :
              ((result.data && result.data.message) || "The template could not be inserted; try again.");
            status.classList.add("errorlist");
          }
          return;
        }
        revisionInput.value = result.data.revision;
        if (prompt) { prompt.value = result.data.prompt; prompt.focus(); }
        writeStore(false);
        showSaved();
        updateCounts();
        if (status) status.textContent = "Inserted. Edit it to fit this customer.";
      }, function () {
        button.disabled = false;
        setStatus("Could not reach the server. Your work is kept in this browser; try again.", true);
      });
    });
  }

  form.addEventListener("click", function (event) {
    var draftButton = event.target.closest("[data-draft-button]");
    if (draftButton) { event.preventDefault(); requestDraft(draftButton); return; }
    var templateButton = event.target.closest("[data-template-insert]");
    if (templateButton) { event.preventDefault(); insertTemplate(templateButton); return; }
    var use = event.target.closest("[data-use-draft]");
    if (use) {
      var panel = use.closest("[data-draft-panel]");
      var text = panel.querySelector("[data-draft-text]").textContent;
      if (reply.value.trim() && reply.value.trim() !== text.trim() &&
          !window.confirm("Replace your reply with this draft?")) return;
      reply.value = text;
      draftUsedInput.value = use.dataset.useDraft;
      reply.focus();
      changed();
    }
  });

  form.querySelectorAll('[data-draft-panel][data-status="pending"]').forEach(function (panel) {
    poll({ status: "pending", variant: panel.dataset.variant, status_url: panel.dataset.statusUrl }, Date.now());
  });

  // ---- word counts -------------------------------------------------------------------------
  function words(text) { var m = text.trim().match(/\S+/g); return m ? m.length : 0; }

  // The visible counts follow every keystroke; the live region repeats them for screen
  // readers only once typing has paused, so they are not read out word by word.
  var COUNT_PAUSE = 1500;
  var countTimer = null;
  var countAnnounce = form.querySelector("[data-word-count-announce]");

  function updateCounts(typing) {
    var text = "";
    var counter = form.querySelector("[data-word-count]");
    if (reply && counter) {
      var n = words(reply.value), max = +reply.dataset.maxWords, cap = +reply.dataset.capWords;
      text = plural(n, "word") + (n > cap ? ": over the hard limit, it cannot be submitted" : n > max ? ": over the target" : "");
      counter.textContent = text;
      counter.className = "word-count" + (n > cap ? " cap" : n > max ? " over" : "");
    }
    var reportCounter = form.querySelector("[data-report-words]");
    if (reportCounter) {
      var total = 0;
      form.querySelectorAll("[data-report-section]").forEach(function (el) { total += words(el.value); });
      text = plural(total, "word") + " so far.";
      reportCounter.textContent = text;
      reportCounter.className = "word-count" + (total > 500 ? " over" : "");
    }
    if (countAnnounce && typing) {
      clearTimeout(countTimer);
      countTimer = setTimeout(function () {
        if (countAnnounce.textContent !== text) countAnnounce.textContent = text;
      }, COUNT_PAUSE);
    }
  }
  updateCounts();

  // ---- indicators: add the selected text of the message ------------------------------------
  var addIndicator = form.querySelector("[data-add-indicator]");
  if (addIndicator) {
    addIndicator.addEventListener("click", function () {
      var selection = window.getSelection();
      var text = selection ? selection.toString().trim() : "";
      var message = form.querySelector("[data-customer-message]");
      if (!text || !message || !message.contains(selection.anchorNode)) {
        setStatus("Select words in the customer's message first.", true);
        return;
      }
      var box = form.querySelector("[data-indicators]");
      box.value = (box.value.trim() ? box.value.replace(/\s+$/, "") + "\n" : "") + text;
      changed();
    });
  }

  // ---- audit: select a passage, record findings -------------------------------------------
  var auditDraft = form.querySelector("[data-audit-draft]");
  var findingsInput = form.querySelector("[data-findings]");
  var findingsList = form.querySelector("[data-findings-list]");
  var draftText = auditDraft ? auditDraft.textContent : "";

  function findings() {
    try { return JSON.parse(findingsInput.value || "[]"); } catch (e) { return []; }
  }

  function renderHighlights(list) {
    if (!auditDraft) return;
    var spans = list.filter(function (f) { return typeof f.start === "number" && typeof f.end === "number" && f.end > f.start; })
      .sort(function (a, b) { return a.start - b.start; });
    auditDraft.textContent = "";
    var pos = 0;
    spans.forEach(function (f) {
      if (f.start < pos) return;
      auditDraft.appendChild(document.createTextNode(draftText.slice(pos, f.start)));
      var mark = document.createElement("mark");
      mark.textContent = draftText.slice(f.start, f.end);
      auditDraft.appendChild(mark);
      pos = f.end;
    });
    auditDraft.appendChild(document.createTextNode(draftText.slice(pos)));
  }

  // The readable name of a finding type, from the options the server rendered.
  function findingLabel(type) {
    var option = form.querySelector("[data-finding-type] option[value='" + CSS.escape(type || "") + "']");
    return option && type ? option.textContent : type;
  }

  function renderFindings() {
    if (!findingsList) return;
    var list = findings();
    findingsList.textContent = "";
    list.forEach(function (f, index) {
      var li = document.createElement("li");
      var q = document.createElement("q"); q.textContent = f.span; li.appendChild(q);
      var badge = document.createElement("span"); badge.className = "badge warn"; badge.textContent = findingLabel(f.type);
      li.appendChild(document.createTextNode(" ")); li.appendChild(badge);
      var correction = document.createElement("div"); correction.textContent = f.correction; li.appendChild(correction);
      var source = document.createElement("div"); source.className = "muted"; source.textContent = "Source: " + (f.fact_id || "none"); li.appendChild(source);
      var remove = document.createElement("button");
      remove.type = "button"; remove.className = "link-button"; remove.textContent = "Remove";
      remove.dataset.removeFinding = index;
      li.appendChild(remove);
      findingsList.appendChild(li);
    });
    if (!list.length) {
      var empty = document.createElement("li");
      empty.className = "muted";
      empty.textContent = "No findings yet. A clean draft has none: say so by recording none.";
      findingsList.appendChild(empty);
    }
    var count = form.querySelector("[data-findings-count]");
    if (count) count.textContent = list.length;
    renderHighlights(list);
  }

  if (auditDraft && findingsInput) {
    var spanInput = form.querySelector("[data-finding-span]");
    var startInput = form.querySelector("[data-finding-start]");
    var endInput = form.querySelector("[data-finding-end]");
    var typeInput = form.querySelector("[data-finding-type]");
    var correctionInput = form.querySelector("[data-finding-correction]");
    var factInput = form.querySelector("[data-finding-fact]");
    var findingError = form.querySelector("[data-finding-error]");

    var captureSelection = function () {
      var selection = window.getSelection();
      if (!selection || selection.rangeCount === 0 || selection.isCollapsed) return;
      var range = selection.getRangeAt(0);
      if (!auditDraft.contains(range.startContainer) || !auditDraft.contains(range.endContainer)) return;
      var before = document.createRange();
      before.selectNodeContents(auditDraft);
      before.setEnd(range.startContainer, range.startOffset);
      var start = before.toString().length;
      var text = range.toString();
      // Trim whitespace the mouse picked up at either end, keeping the offsets right.
      var lead = text.length - text.replace(/^\s+/, "").length;
      var trimmed = text.trim();
      if (!trimmed) return;
      start += lead;
      spanInput.value = trimmed;
      startInput.value = start;
      endInput.value = start + trimmed.length;
      if (findingError) findingError.textContent = "";
      if (passageFeedback) passageFeedback.textContent = "Selected in the draft: “" + trimmed + "”.";
      typeInput.focus({ preventScroll: true });
    };
    auditDraft.addEventListener("mouseup", captureSelection);
    auditDraft.addEventListener("keyup", captureSelection);
    renderFindings();

    var findButton = form.querySelector("[data-find-passage]");
    var passageFeedback = form.querySelector("[data-passage-feedback]");

    spanInput.addEventListener("input", function () {
      startInput.value = ""; endInput.value = "";
      if (passageFeedback) passageFeedback.textContent = "";
    });

    // The keyboard way: the agent types the words, the server finds them in the draft
    // (fuzzy, text_analysis.passages) and the draft's own words replace what was typed.
    var findPassage = function () {
      var body = new FormData();
      body.set("csrfmiddlewaretoken", form.querySelector("[name=csrfmiddlewaretoken]").value);
      body.set("text", spanInput.value);
      return fetch(findButton.dataset.passageUrl, {
        method: "POST", body: body, headers: { Accept: "application/json" }, credentials: "same-origin"
      }).then(function (response) { return response.json(); }).then(function (match) {
        passageFeedback.textContent = match.message || "";
        passageFeedback.classList.toggle("errorlist", !match.found);
        if (!match.found) return false;
        spanInput.value = match.text;
        startInput.value = match.start;
        endInput.value = match.end;
        renderHighlights(findings().concat([{ start: match.start, end: match.end }]));
        return true;
      }, function () {
        passageFeedback.textContent = "Could not reach the server to find the passage; try again.";
        return false;
      });
    };
    if (findButton) {
      findButton.addEventListener("click", function () {
        findPassage().then(function (found) { if (found) typeInput.focus(); });
      });
    }

    var addFinding = function () {
      var list = findings();
      var start = parseInt(startInput.value, 10), end = parseInt(endInput.value, 10);
      var candidate = {
        span: spanInput.value.trim(), type: typeInput.value, correction: correctionInput.value.trim(),
        fact_id: factInput.value || null, start: isNaN(start) || start < 0 ? null : start,
        end: isNaN(end) ? null : end
      };
      var key = function (f) { return (f.span || "").split(/\s+/).join(" ").toLowerCase() + "|" + f.type; };
      for (var i = 0; i < list.length; i++) {
        if (key(list[i]) === key(candidate)) {
          findingError.textContent = "That passage is already finding " + (i + 1) +
            " with the same type, so it was not added twice. Pick another passage or type.";
          return;
        }
      }
      list.push(candidate);
      findingsInput.value = JSON.stringify(list);
      [spanInput, startInput, endInput, correctionInput].forEach(function (el) { el.value = ""; });
      typeInput.value = ""; factInput.value = "";
      findingError.textContent = "";
      if (passageFeedback) passageFeedback.textContent = "Finding " + list.length + " added.";
      renderFindings();
      changed();
    };

    form.querySelector("[data-add-finding]").addEventListener("click", function (event) {
      event.preventDefault();
      var problems = [];
      if (!spanInput.value.trim()) problems.push("select or type the wrong passage of the draft");
      if (!typeInput.value) problems.push("choose the error type");
      if (!correctionInput.value.trim()) problems.push("write the correction");
      if (!factInput.value && typeInput.value !== "irrelevant_answer") problems.push("cite the knowledge-base fact");
      if (problems.length) {
        // An alert region already in the page: the new text is announced.
        findingError.textContent = "To add the finding, " + problems.join(", ") + ".";
        return;
      }
      if (startInput.value !== "" || !findButton) { addFinding(); return; }
      // A typed passage: find it in the draft first; nothing is added if it is not there.
      findPassage().then(function (found) {
        if (found) { addFinding(); return; }
        findingError.textContent = "To add the finding, type words that are in the draft, or select them.";
        spanInput.focus();
      });
    });

    findingsList.addEventListener("click", function (event) {
      var button = event.target.closest("[data-remove-finding], button[name=remove_finding]");
      if (!button) return;
      event.preventDefault();
      var index = parseInt(button.dataset.removeFinding || button.value, 10);
      var list = findings();
      list.splice(index, 1);
      findingsInput.value = JSON.stringify(list);
      renderFindings();
      changed();
    });
  }

  // ---- submit: once -----------------------------------------------------------------------
  // A tab that was told newer work exists elsewhere does not submit until the agent chose
  // which version to keep (the server refuses a stale revision too, spending no attempt).
  // A save still on its way would make the revision stale: submit once it is back.
  var submitting = false;
  form.addEventListener("submit", function (event) {
    var submitter = event.submitter;
    if (!submitter || !submitter.hasAttribute("data-submit")) return;
    if (conflicted) {
      event.preventDefault();
      setStatus("Not submitted: choose “Load the newer version” or “Keep mine and save it” above first.", true);
      if (conflictBox) {
        conflictBox.scrollIntoView({ block: "center" });
        conflictBox.querySelector("button").focus();
      }
      return;
    }
    clearTimeout(timer);
    if (saving > 0 && !submitting) {
      event.preventDefault();
      submitting = true;
      setStatus("Saving, then submitting…");
      queue.then(function () {
        submitting = false;
        if (!conflicted) form.requestSubmit(submitter);
      });
      return;
    }
    writeStore(false);
    setTimeout(function () { submitter.disabled = true; submitter.textContent = "Submitting…"; }, 0);
  });
})();
