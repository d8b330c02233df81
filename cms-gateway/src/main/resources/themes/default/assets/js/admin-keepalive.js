/*
 * Quire admin: keeps the sign-in open while someone types in the editing form. A sign-in ends
 * after quire.gateway.admin.session-idle-timeout without a request, and writing a long post sends
 * none until it is saved; so, while the form is being typed in, this script tells the server at
 * most once per data-keepalive-ms (a twelfth of the idle timeout) that the editor is still there.
 * If the sign-in has ended anyway (its lifetime, a sign-out elsewhere), it says so above the form
 * at once, before the typing is lost in a save that cannot succeed. Without the script the admin
 * works as before; only the idle timeout can end a long, unsaved edit.
 */
(function () {
  "use strict";
  var form = document.getElementById("edit-form");
  if (!form || !window.fetch || !window.URLSearchParams) {
    return;
  }
  var every = parseInt(form.getAttribute("data-keepalive-ms"), 10);
  var url = form.getAttribute("data-keepalive-url");
  var token = form.querySelector("input[name=_csrf]");
  var ended = document.getElementById("session-ended");
  if (!(every > 0) || !url || !token) {
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
        // The server could not be reached: the next keystroke tries again.
        last = 0;
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
