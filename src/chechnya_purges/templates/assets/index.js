/* Index page: filter this page's figures and statements without a server. */
(function () {
  "use strict";
  var form = document.getElementById("filters");
  var rows = Array.prototype.slice.call(document.querySelectorAll("#rows tbody tr"));
  var count = document.getElementById("f-count");
  var none = document.getElementById("f-none");
  var text = document.getElementById("f-text");
  var selects = Array.prototype.slice.call(form.querySelectorAll("select"));
  var quotes = rows.map(function (row) { return row.querySelector(".q").textContent.toLowerCase(); });

  function apply() {
    var wanted = selects
      .filter(function (s) { return s.value; })
      .map(function (s) { return [s.getAttribute("data-key"), s.value]; });
    var words = text.value.toLowerCase().trim();
    var shown = 0;
    rows.forEach(function (row, i) {
      var ok = wanted.every(function (w) { return row.getAttribute("data-" + w[0]) === w[1]; });
      ok = ok && (!words || quotes[i].indexOf(words) !== -1);
      row.hidden = !ok;
      if (ok) { shown += 1; }
    });
    count.textContent = shown + " of " + rows.length + " shown";
    none.hidden = shown !== 0;
  }

  form.addEventListener("input", apply);
  form.addEventListener("change", apply);
  form.addEventListener("reset", function () { setTimeout(apply, 0); });
})();
