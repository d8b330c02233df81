/*
 * Quire admin, the Backups page: a bundle chosen for import that is larger than the server takes
 * (quire.gateway.imports.max-bytes, on the form as data-max-bytes) is refused here, before its
 * bytes are sent: the server would cut such an upload off at its first bytes, and a browser still
 * sending sees the connection drop instead of the answer. Without this script the form works as
 * before, the server's limit still holding.
 */
(function () {
  "use strict";
  var form = document.getElementById("import-form");
  var input = document.getElementById("import-file");
  var status = document.getElementById("import-file-status");
  var start = document.getElementById("import-start");
  if (!form || !input || !status || !start) {
    return;
  }
  var max = Number(form.getAttribute("data-max-bytes"));
  var busy = start.disabled;

  function tooLarge() {
    var file = input.files && input.files[0];
    return file && max > 0 && file.size > max ? file : null;
  }

  function check() {
    var file = tooLarge();
    if (file) {
      status.textContent =
        file.name + " is " + (file.size / 1e6).toFixed(1) + " MB; this site takes bundles of at most " +
        (max / 1e6).toFixed(1) + " MB (quire.gateway.imports.max-bytes). Import it with quire bundle import --data into the stopped site, or raise the limit.";
      status.classList.add("field-error");
    } else {
      status.textContent = "";
      status.classList.remove("field-error");
    }
    start.disabled = busy || !!file;
  }

  input.addEventListener("change", check);
  form.addEventListener("submit", function (event) {
    if (tooLarge()) {
      event.preventDefault();
      check();
    }
  });
})();
