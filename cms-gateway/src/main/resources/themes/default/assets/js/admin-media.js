/*
 * Quire admin, the editing page: files into the body. A file chosen under the body, dropped on it
 * or pasted into it is uploaded (POST /admin/media/insert, the same store and limits as the Media
 * page) and its Markdown is written where the cursor is. An image's goes in as ![](url) with the
 * cursor between the brackets, so its alt text is typed next. Without this script nothing here
 * shows, and the Media page gives the Markdown to copy.
 */
(function () {
  "use strict";
  var box = document.getElementById("media-insert");
  var body = document.getElementById("field-body");
  if (!box || !body || body.readOnly || !window.fetch || !window.FormData) {
    return;
  }
  var token = document.querySelector("#edit-form input[name=_csrf]");
  if (!token) {
    return;
  }
  var input = document.getElementById("body-file");
  var status = document.getElementById("body-file-status");
  box.hidden = false;

  function say(text, failed) {
    status.textContent = text;
    status.classList.toggle("field-error", !!failed);
  }

  // Writes text over the selection, as typing would (the drafts script hears an input event).
  function insert(text) {
    var start = body.selectionStart;
    var end = body.selectionEnd;
    body.value = body.value.slice(0, start) + text + body.value.slice(end);
    var cursor = text.indexOf("![](") === 0 ? start + 2 : start + text.length;
    body.focus();
    body.setSelectionRange(cursor, cursor);
    body.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function upload(file) {
    var form = new FormData();
    form.append("_csrf", token.value); // first: checked before the file is read
    form.append("file", file, file.name || "pasted");
    say("Uploading " + (file.name || "the file") + "…", false);
    return fetch(box.getAttribute("data-upload-url"), {
      method: "POST",
      body: form,
      credentials: "same-origin",
      headers: { Accept: "application/json" }
    })
      .then(function (r) {
        return r.json().then(
          function (j) {
            return { ok: r.ok, json: j };
          },
          function () {
            return { ok: false, json: null, status: r.status };
          }
        );
      })
      .then(function (answer) {
        if (answer.ok && answer.json && answer.json.markdown) {
          insert(answer.json.markdown);
          say("Inserted " + answer.json.filename + ".", false);
        } else if (answer.json && answer.json.error) {
          say("Not uploaded: " + answer.json.error.message, true);
        } else {
          say("Not uploaded: the server answered " + answer.status + ".", true);
        }
      })
      .catch(function () {
        say("Not uploaded: the server could not be reached.", true);
      });
  }

  function uploadAll(files) {
    var chain = Promise.resolve();
    Array.prototype.forEach.call(files, function (f) {
      chain = chain.then(function () {
        return upload(f);
      });
    });
    return chain;
  }

  function hasFiles(transfer) {
    return transfer && transfer.files && transfer.files.length > 0;
  }

  input.addEventListener("change", function () {
    var files = Array.prototype.slice.call(input.files);
    input.value = "";
    uploadAll(files);
  });
  body.addEventListener("dragover", function (e) {
    if (e.dataTransfer && Array.prototype.indexOf.call(e.dataTransfer.types, "Files") >= 0) {
      e.preventDefault();
    }
  });
  body.addEventListener("drop", function (e) {
    if (hasFiles(e.dataTransfer)) {
      e.preventDefault();
      uploadAll(e.dataTransfer.files);
    }
  });
  body.addEventListener("paste", function (e) {
    if (hasFiles(e.clipboardData)) {
      e.preventDefault();
      uploadAll(e.clipboardData.files);
    }
  });
})();
