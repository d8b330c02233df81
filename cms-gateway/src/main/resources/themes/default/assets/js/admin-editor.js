/*
 * Quire admin, the editing page. Without this script the admin works as before; with it:
 *
 * 1. Typing is kept in this browser (localStorage, per user and item) as it happens, so a crashed
 *    tab, a closed window or a lost connection does not lose it: when the page opens again and the
 *    form differs from what was kept, it offers to restore it. Restored text keeps the revision it
 *    was typed on, so saving it over a newer revision is a conflict the server shows, never a
 *    silent overwrite. What was kept is forgotten once a form carrying it was saved (the page that
 *    answers the save has ?done=...; a reload of that page forgets nothing more), when discarded,
 *    and when its user signs out, except that a page still open with unsaved typing (another
 *    tab) keeps its own again at once: a sign-out in one tab threw away what another held.
 *    Leaving the page with typing not sent asks first, as browsers do (beforeunload).
 * 2. A sign-in ends after quire.gateway.admin.session-idle-timeout without a request, and writing
 *    a long post sends none: while the form is typed in, this tells the server at most once per
 *    data-keepalive-ms that the editor is still there, and if the sign-in has ended anyway (its
 *    lifetime, a sign-out elsewhere) the next keystroke that asks shows it above the form. Saving
 *    then first takes the current session's form token (GET data-token-url): signed in again in
 *    another tab, the save goes through with it; still signed out, the form stays as it is and
 *    says so (before, the save was refused as a form from an earlier session).
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

  // On the sign-in page right after a sign-out: forget what was kept for that user here.
  var forget = document.querySelector("[data-forget-drafts]");
  if (forget) {
    var prefix = PREFIX + forget.getAttribute("data-forget-drafts") + ":";
    if (storage) {
      for (var i = storage.length - 1; i >= 0; i--) {
        var k = storage.key(i);
        if (k && k.indexOf(prefix) === 0) {
          storage.removeItem(k);
        }
      }
    }
    return;
  }

  var form = document.getElementById("edit-form");
  if (!form) {
    return;
  }
  var FIELDS = ["title", "slug", "description", "tags", "coverImage", "coverAlt", "author", "date", "body"];

  // Typing not sent yet: leaving the page asks first. A save that goes (not one held back by a
  // handler below, which prevents it) clears it; the event reaches the window after them all.
  // A page that answers a preview, a conflict or a refused save holds text not yet saved.
  var dirty = !!document.querySelector("#preview, #conflict, #edit-form .field-error, p.error[role=alert]:not([hidden])");
  // Another tab signed out or saved this item: the form token may be an earlier session's.
  var recheck = false;
  form.addEventListener("input", function () {
    dirty = true;
  });
  window.addEventListener("submit", function (event) {
    var by = event.submitter;
    var preview = by && (by.name === "preview" || by.getAttribute("formtarget") === "_blank");
    if (event.target === form && !event.defaultPrevented && !preview) {
      dirty = false;
    }
  });
  window.addEventListener("beforeunload", function (event) {
    if (dirty) {
      event.preventDefault();
      event.returnValue = "";
    }
  });

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

  function read(key) {
    try {
      return JSON.parse(storage.getItem(key) || "null");
    } catch (e) {
      return null;
    }
  }

  function write(key, submitted) {
    try {
      storage.setItem(
        key,
        JSON.stringify({
          at: Date.now(),
          revision: revisionField ? revisionField.value : "",
          fields: values(),
          submitted: submitted
        })
      );
    } catch (e) {
      // full or refused: the form itself still holds the text
    }
  }

  // ---- 1. drafts kept in this browser ----
  var draftKey = form.getAttribute("data-draft-key");
  var user = form.getAttribute("data-draft-user");
  var revisionField = field("revision");
  if (storage && draftKey && user) {
    var key = PREFIX + user + ":" + draftKey;
    var saveTimer = 0;
    var pending = false;

    // The answer to a save: forget what that form carried (only once: not on a reload of it).
    var done = /[?&]done=([a-z-]+)/.exec(window.location.search);
    var handled = window.history.state && window.history.state.quireDone;
    if (done && !handled) {
      var answered = [key];
      var kind = field("kind");
      if (done[1] === "created" && kind) {
        answered.push(PREFIX + user + ":new-" + kind.value); // the new-item form's
      }
      answered.forEach(function (k) {
        var was = read(k);
        if (was && was.submitted) {
          storage.removeItem(k);
        }
      });
      try {
        window.history.replaceState({ quireDone: true }, "");
      } catch (e) {
        // no history state: a reload may forget a kept draft that was sent, never one typed since
      }
    }

    var opened = values();
    var kept = read(key);
    var differs =
      kept &&
      kept.fields &&
      FIELDS.some(function (name) {
        return name in kept.fields && kept.fields[name] !== opened[name];
      });
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
        dirty = true;
        write(key, false);
      });
      document.getElementById("draft-discard").addEventListener("click", function () {
        storage.removeItem(key);
        notice.hidden = true;
      });
    }

    // Another tab forgot it (a sign-out, a save of the same item): typing here not yet sent is
    // kept again at once.
    window.addEventListener("storage", function (event) {
      if ((event.key === key || event.key === null) && event.newValue === null) {
        recheck = true;
        if (dirty) {
          write(key, false);
        }
      }
    });

    form.addEventListener("input", function () {
      window.clearTimeout(saveTimer);
      pending = true;
      saveTimer = window.setTimeout(function () {
        pending = false;
        write(key, false);
      }, 300);
    });

    // Sent to be saved (not a preview, which saves nothing): forgotten if the answer says saved.
    form.addEventListener("submit", function (event) {
      var by = event.submitter;
      var previewOnly =
        by && (by.name === "preview" || by.getAttribute("formtarget") === "_blank");
      if (!previewOnly && (pending || read(key))) {
        window.clearTimeout(saveTimer);
        pending = false;
        write(key, true);
      }
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
  var lastOk = Date.now(); // when the server last said this sign-in is open
  var sending = false;

  function ping() {
    sending = true;
    var body = new URLSearchParams();
    body.set("_csrf", token.value);
    fetch(url, { method: "POST", body: body, credentials: "same-origin", redirect: "manual" })
      .then(function (answer) {
        // 204: still signed in. Anything else (a redirect to sign in, a refusal) means it ended.
        if (answer.status === 204) {
          lastOk = Date.now();
        } else if (ended) {
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

  // The sign-in ended: before saving, take the current session's token (signed in again in
  // another tab) or stay here saying so.
  var tokenUrl = form.getAttribute("data-token-url");
  form.addEventListener("submit", function (event) {
    // Also when nothing has said for a while that the sign-in is open: it may have ended and been
    // made again in another tab while this page sat unused.
    var stale = Date.now() - lastOk > every;
    if (!ended || !tokenUrl || !form.requestSubmit || (ended.hidden && !recheck && !stale)) {
      return;
    }
    event.preventDefault();
    var by = event.submitter || null;
    fetch(tokenUrl, { credentials: "same-origin", redirect: "manual", cache: "no-store" })
      .then(function (answer) {
        if (answer.status !== 200) {
          throw new Error("signed out");
        }
        return answer.json();
      })
      .then(function (session) {
        // Signed in again as someone else (a shared computer): this form is not theirs to send.
        if (!session || session.user !== form.getAttribute("data-draft-user")) {
          throw new Error("another user");
        }
        document.querySelectorAll("input[name=_csrf]").forEach(function (el) {
          el.value = session.csrf;
        });
        ended.hidden = true;
        recheck = false;
        lastOk = Date.now();
        form.requestSubmit(by);
      })
      .catch(function (why) {
        var still = ended.getAttribute(
          why && why.message === "another user" ? "data-other-user" : "data-still-out"
        );
        if (still) {
          ended.textContent = still;
        }
        ended.hidden = false;
        ended.scrollIntoView({ block: "center" });
      });
  });
})();
