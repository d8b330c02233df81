// Colours fenced code that names its language (```java) with highlight.js, loaded before this
// (js/highlight.js: its common build, from the org.webjars:highlightjs jar). Code that names no
// language, or one that build does not know, is left as written: guessing is slow and often wrong.
(function () {
  'use strict';
  if (typeof hljs === 'undefined') {
    return;
  }
  var blocks = document.querySelectorAll('pre > code[class*="language-"]');
  for (var i = 0; i < blocks.length; i++) {
    var m = /(?:^|\s)language-([\w+#.-]+)/.exec(blocks[i].className);
    if (m && hljs.getLanguage(m[1])) {
      hljs.highlightElement(blocks[i]);
    }
  }
})();
