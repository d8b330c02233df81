/*
 * Quire admin, the editing page. Without this script the admin works as before; with it:
 *
 * 1. Typing is kept in this browser (localStorage) as it happens, so a crashed tab, a closed
 *    window or a lost connection does not lose it: when the page opens again with text that was
 *    never saved, it offers to restore it. Restored text keeps the revision it was typed on, so
 *    saving it over a newer revision is a conflict the server shows, never a silent overwrite.
 *    A successful save (the page comes back with ?done=...) forgets it; so does signing out.
 * 2. A sign-in ends after quire.gateway.admin.session-idle-timeout without a request, and writing
 *    a long post sends none: while the form is typed in, this tells the server at most once per
 *    data-keepalive-ms that the editor is still there, and if the sign-in has ended anyway (its
 *    lifetime, a sign-out elsewhere) it says so above the form at once.
 */
(function () {
  "use strict";
  var PREFIX = "quire-draft:";
  var storage = null;
  try {
    storage = window.localStorage;
  } catch (e) {
    storage = null; // storage off (private mode, policy): only the keep-alive works
  }

  // On the sign-in page after signing out: forget every kept draft on this browser.
  if (document.querySelector("[data-forget-drafts]")) {
    if (storage) {
      for (var i = storage.length - 1; i >= 0; i--) {
        var key = storage.key(i);
        if (key && key.indexOf(PREFIX) === 0) {
          storage.removeItem(key);
        }
      }
    }
    return;
  }

  var form = document.getElementById("edit-form");
  if (!form) {
    return;
  }
  var FIELDS = ["title", "slug", "description", "tags", "coverImage", "author", "date", "body"];

  function field(name) {
    return form.querySelector("[name=" + name + "]");
  }

  function values() {
    var out = {};
    FIELDS.forEach(function (name) {
      var el = field(name);
      if (el) {
        out[name] = el.value;
      }
    });
    return out;
  }

  // ---- 1. drafts kept in this browser ----
  var draftKey = form.getAttribute("data-draft-key");
  if (storage && draftKey) {
    var key = PREFIX + draftKey;
    var revisionField = field("revision");
    var opened = values();
    var saveTimer = 0;

    if (/[?&]done=/.test(window.location.search)) {
      storage.removeItem(key); // this page is the answer to a successful save
      var kind = field("kind");
      if (/[?&]done=created/.test(window.location.search) && kind) {
        storage.removeItem(PREFIX + "new-" + kind.value); // what the new-item form kept
      }
    }

    var kept = null;
    try {
      kept = JSON.parse(storage.getItem(key) || "null");
    } catch (e) {
      kept = null;
    }
    var differs =
      kept &&
      kept.fields &&
      FIELDS.some(function (name) {
        return name in kept.fields && kept.fields[name] !== opened[name];
      });
    if (kept && !differs) {
      storage.removeItem(key);
    }
    var notice = document.getElementById("draft-notice");
    if (differs && notice) {
      var when = new Date(kept.at);
      notice.querySelector("[data-draft-when]").textContent = isNaN(when)
        ? ""
        : " (" + when.toLocaleString() + ")";
      notice.hidden = false;
      document.getElementById("draft-restore").addEventListener("click", function () {
        FIELDS.forEach(function (name) {
          var el = field(name);
          if (el && name in kept.fields) {
            el.value = kept.fields[name];
          }
        });
        if (revisionField && kept.revision) {
          revisionField.value = kept.revision;
        }
        notice.hidden = true;
      });
      document.getElementById("draft-discard").addEventListener("click", function () {
        storage.removeItem(key);
        notice.hidden = true;
      });
    }

    form.addEventListener("input", function () {
      window.clearTimeout(saveTimer);
      saveTimer = window.setTimeout(function () {
        try {
          storage.setItem(
            key,
            JSON.stringify({
              at: Date.now(),
              revision: revisionField ? revisionField.value : "",
              fields: values()
            })
          );
        } catch (e) {
          // full or refused: the form itself still holds the text
        }
      }, 300);
    });
  }

  // ---- 2. keep the sign-in open while typing ----
  var every = parseInt(form.getAttribute("data-keepalive-ms"), 10);
  var url = form.getAttribute("data-keepalive-url");
  var token = field("_csrf");
  var ended = document.getElementById("session-ended");
  if (!(every > 0) || !url || !token || !window.fetch || !window.URLSearchParams) {
    return;
  }
  var last = Date.now();
  var sending = false;

  function ping() {
    sending = true;
    var body = new URLSearchParams();
    body.set("_csrf", token.value);
    fetch(url, { method: "POST", body: body, credentials: "same-origin", redirect: "manual" })
      .then(function (answer) {
        // 204: still signed in. Anything else (a redirect to sign in, a refusal) means it ended.
        if (answer.status !== 204 && ended) {
          ended.hidden = false;
        }
      })
      .catch(function () {
        last = 0; // the server could not be reached: the next keystroke tries again
      })
      .then(function () {
        sending = false;
      });
  }

  form.addEventListener("input", function () {
    if (!sending && Date.now() - last >= every) {
      last = Date.now();
      ping();
    }
  });
})();
