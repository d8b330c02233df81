/*
 * Quire: live results on the search page. Without this script the form still works: it is an
 * ordinary GET form, and the server renders the results. With it, results follow the typing: the
 * script asks the server for the same page and swaps its results in (so the server does all the
 * escaping), keeps the address bar's ?q= in step, and drops answers that a newer query overtook.
 */
(function () {
  "use strict";
  var form = document.querySelector("form[data-live-search]");
  if (!form || !window.fetch || !window.DOMParser || !window.AbortController) {
    return;
  }
  var input = form.querySelector("input[name=q]");
  var delay = parseInt(form.getAttribute("data-live-search"), 10) || 150;
  var timer = 0;
  var inFlight = null;
  var shown = input.value.trim();

  function urlFor(q) {
    return form.action.split("?")[0] + (q ? "?q=" + encodeURIComponent(q) : "");
  }

  function show(q) {
    if (q === shown) {
      return;
    }
    if (inFlight) {
      inFlight.abort();
    }
    var controller = new AbortController();
    inFlight = controller;
    var results = document.getElementById("search-results");
    results.setAttribute("aria-busy", "true");
    fetch(urlFor(q), { signal: controller.signal, headers: { Accept: "text/html" } })
      .then(function (response) {
        return response.text();
      })
      .then(function (html) {
        var page = new DOMParser().parseFromString(html, "text/html");
        var fresh = page.getElementById("search-results");
        if (!fresh) {
          throw new Error("no results in the answer");
        }
        document.getElementById("search-results").replaceWith(document.adoptNode(fresh));
        document.title = page.title;
        history.replaceState(null, "", urlFor(q));
        shown = q;
      })
      .catch(function (e) {
        if (e.name !== "AbortError") {
          // Leave the page as it is; pressing Enter still submits the form.
          document.getElementById("search-results").setAttribute("aria-busy", "false");
        }
      })
      .finally(function () {
        if (inFlight === controller) {
          inFlight = null;
        }
      });
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    var q = input.value.trim();
    timer = setTimeout(function () {
      show(q);
    }, delay);
  });
})();
