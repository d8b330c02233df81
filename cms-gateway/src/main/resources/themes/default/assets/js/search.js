/*
 * Quire: live results on the search page. Without this script the form still works: it is an
 * ordinary GET form, and the server renders the results. With it, results follow the typing: the
 * script asks the server for the results alone (the form's data-live-source, /search/live/; the
 * page itself for a theme whose form has none) and swaps them in (so the server does all the
 * escaping), keeps the address bar's ?q= in step, and drops answers that a newer query overtook.
 */
(function () {
  "use strict";
  var form = document.querySelector("form[data-live-search]");
  if (!form || !window.fetch || !window.DOMParser || !window.AbortController) {
    return;
  }
  var input = form.querySelector("input[name=q]");
  var delay = parseInt(form.getAttribute("data-live-search"), 10);
  if (isNaN(delay) || delay < 0) {
    delay = 150;
  }
  var timer = 0;
  var inFlight = null;
  var shown = input.value.trim();

  var source = form.getAttribute("data-live-source") || form.action;

  function urlFor(q, base) {
    return (base || form.action).split("?")[0] + (q ? "?q=" + encodeURIComponent(q) : "");
  }

  function results() {
    return document.getElementById("search-results");
  }

  function show(q) {
    // Whatever is still coming is for an older query: drop it, even when this one is what the
    // page already shows ("a" typed and deleted before its answer came).
    if (inFlight) {
      inFlight.abort();
      inFlight = null;
    }
    if (q === shown) {
      results().setAttribute("aria-busy", "false");
      return;
    }
    var controller = new AbortController();
    inFlight = controller;
    results().setAttribute("aria-busy", "true");
    fetch(urlFor(q, source), { signal: controller.signal, headers: { Accept: "text/html" } })
      .then(function (response) {
        return response.text();
      })
      .then(function (html) {
        if (controller.signal.aborted) {
          return;
        }
        var page = new DOMParser().parseFromString(html, "text/html");
        var fresh = page.getElementById("search-results");
        if (!fresh) {
          throw new Error("no results in the answer");
        }
        // The live region stays, and only what it holds changes: screen readers announce a
        // change inside a region they know, not a region that arrives already filled.
        var region = results();
        region.replaceChildren.apply(region, Array.from(fresh.childNodes).map(function (n) {
          return document.adoptNode(n);
        }));
        region.setAttribute("aria-busy", "false");
        document.title = page.title;
        history.replaceState(null, "", urlFor(q));
        shown = q;
      })
      .catch(function (e) {
        if (e.name !== "AbortError") {
          // Leave the page as it is; pressing Enter still submits the form.
          results().setAttribute("aria-busy", "false");
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
