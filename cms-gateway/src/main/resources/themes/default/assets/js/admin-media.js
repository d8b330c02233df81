/*
 * Quire admin, the editing page: files into the body. A file chosen under the body, dropped on it
 * or pasted into it is uploaded (POST /admin/media/insert, the same store and limits as the Media
 * page) and its Markdown is written where the cursor is when the answer comes, as a paragraph of
 * its own (it was glued into the line): a cursor inside a line, or inside an image's brackets,
 * puts it after that line. An image's goes in as ![](url) with the cursor between the brackets,
 * so its alt text is typed next. Several files go in one after another, each its own paragraph, the cursor
 * after the last (they went in at the cursor, each inside the one before's brackets). Without this
 * script nothing here shows, and the Media page gives the Markdown to copy.
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

  // Writes text over [start, end) as a paragraph of its own, as typing would (the drafts script
  // hears an input event); answers where it went and where the next one goes.
  function insert(text, start, end) {
    var before = body.value.slice(0, start);
    var after = body.value.slice(end);
    var lead = before === "" || /\n\n$/.test(before) ? "" : /\n$/.test(before) ? "\n" : "\n\n";
    var trail = after === "" || /^\n\n/.test(after) ? "" : /^\n/.test(after) ? "\n" : "\n\n";
    body.value = before + lead + text + trail + after;
    body.dispatchEvent(new Event("input", { bubbles: true }));
    var at = start + lead.length;
    return { at: at, next: at + text.length + trail.length };
  }

  function upload(file, place) {
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
          var text = answer.json.markdown;
          if (place.start === null) {
            // Where the cursor is when the first answer comes (typing may go on during the
            // upload): after its line, replacing nothing.
            place.start = place.end = blockAt(body.selectionEnd);
          }
          var went = insert(text, place.start, place.end);
          place.start = place.end = went.next;
          place.last = { at: went.at, text: text };
          place.count++;
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

  // Where files go for a cursor at `at`: there at a line's start, else after the line (a line of
  // text is not split, and an image just inserted, the cursor in its brackets, is not entered).
  function blockAt(at) {
    var text = body.value;
    if (at === 0 || text.charAt(at - 1) === "\n") {
      return at;
    }
    var end = text.indexOf("\n", at);
    return end < 0 ? text.length : end;
  }

  function uploadAll(files) {
    var place = { start: null, end: null, count: 0, last: null };
    var chain = Promise.resolve();
    Array.prototype.forEach.call(files, function (f) {
      chain = chain.then(function () {
        return upload(f, place);
      });
    });
    return chain.then(function () {
      if (!place.last) {
        return;
      }
      // One image: its alt text is typed next; several: go on after the last.
      var cursor =
        place.count === 1 && place.last.text.indexOf("![](") === 0
          ? place.last.at + 2
          : place.last.at + place.last.text.length;
      body.focus();
      body.setSelectionRange(cursor, cursor);
    });
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
