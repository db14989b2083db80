/* Search-as-you-type for long vocabulary pickers (progressive enhancement).
   A <select multiple data-vocab="scheme"> with many options gets a filter box above it;
   typing hides the options that match neither locally (their text, accents and case
   ignored) nor on the server (/api/vocab/<scheme>/search: labels in any language).
   Selected options always stay visible. Without this script the <select> works as is. */
(function () {
  "use strict";
  var MIN_OPTIONS = 12;
  var lang = document.documentElement.lang || "en";
  function norm(s) {
    return s.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }
  function enhance(sel) {
    if (sel.options.length < MIN_OPTIONS) return;
    var scheme = sel.getAttribute("data-vocab");
    var box = document.createElement("input");
    box.type = "search";
    box.className = "vocab-filter";
    box.placeholder = sel.getAttribute("data-filter-label") || "Filter";
    box.setAttribute("aria-label", box.placeholder);
    box.setAttribute("aria-controls", sel.id);
    var count = document.createElement("span");
    count.className = "vocab-count";
    count.setAttribute("role", "status");
    sel.parentNode.insertBefore(box, sel);
    sel.parentNode.insertBefore(count, sel.nextSibling);
    var timer = 0, seq = 0;
    function show(keep) {
      var n = 0;
      for (var i = 0; i < sel.options.length; i++) {
        var o = sel.options[i];
        var visible = !keep || o.selected || keep.has(o.value);
        o.hidden = !visible;
        if (visible) n++;
      }
      count.textContent = keep ? n + " / " + sel.options.length : "";
    }
    box.addEventListener("input", function () {
      clearTimeout(timer);
      var q = box.value.trim();
      seq++;
      if (!q) { show(null); return; }
      var needle = norm(q), keep = new Set();
      for (var i = 0; i < sel.options.length; i++) {
        var o = sel.options[i];
        if (norm(o.text).indexOf(needle) >= 0 || norm(o.value).indexOf(needle) >= 0) keep.add(o.value);
      }
      show(keep);
      var mine = seq;
      timer = setTimeout(function () {
        fetch("/api/vocab/" + encodeURIComponent(scheme) + "/search?limit=100&lang=" +
              encodeURIComponent(lang) + "&q=" + encodeURIComponent(q),
              { headers: { Accept: "application/json" } })
          .then(function (r) { return r.ok ? r.json() : null; })
          .then(function (data) {
            if (!data || mine !== seq) return;
            data.results.forEach(function (r) { keep.add(r.identifier); });
            show(keep);
          })
          .catch(function () { /* the local filter stays */ });
      }, 200);
    });
  }
  document.querySelectorAll("select[multiple][data-vocab]").forEach(enhance);
})();
