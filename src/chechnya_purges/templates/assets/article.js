/* Article page: pick a record to mark its passage, or a passage to find its records.
   Segments carry the keys of the records covering them (data-r); the script never computes
   text offsets, so characters outside the Basic Multilingual Plane cannot shift a mark. */
(function () {
  "use strict";
  var seed = document.getElementById("seed");
  var tip = document.getElementById("tip");
  var pop = document.getElementById("pop");
  var status = document.getElementById("status");
  var opener = null;

  function passage(key) {
    return seed.querySelectorAll('[data-r~="' + CSS.escape(key) + '"]');
  }

  function keysOf(segment) {
    return (segment.getAttribute("data-r") || "").split(" ").filter(Boolean);
  }

  function clear() {
    seed.querySelectorAll(".is-marked").forEach(function (s) { s.classList.remove("is-marked"); });
    document.querySelectorAll(".record.is-current").forEach(function (li) {
      li.classList.remove("is-current");
      li.querySelector(".pick").setAttribute("aria-pressed", "false");
    });
  }

  function select(key, options) {
    var item = document.getElementById(key);
    if (!item || !item.classList.contains("record")) { return false; }
    clear();
    var marked = passage(key);
    marked.forEach(function (s) { s.classList.add("is-marked"); });
    item.classList.add("is-current");
    item.querySelector(".pick").setAttribute("aria-pressed", "true");
    if (history.replaceState) { history.replaceState(null, "", "#" + key); }
    if (options.list) { item.scrollIntoView({ block: "nearest" }); }
    if (options.text && marked.length) { marked[0].scrollIntoView({ block: "center" }); }
    status.textContent = "Marked in the text: " + item.querySelector(".pick").textContent;
    return true;
  }

  function closePop() {
    if (pop.hidden) { return; }
    pop.hidden = true;
    pop.textContent = "";
    if (opener) { opener.focus(); opener = null; }
  }

  function place(box, segment) {
    var r = segment.getBoundingClientRect();
    box.style.left = Math.max(8, window.scrollX + r.left) + "px";
    box.style.top = (window.scrollY + r.bottom + 6) + "px";
  }

  function describe(box, keys, withButtons) {
    box.textContent = "";
    keys.forEach(function (key) {
      var item = document.getElementById(key);
      if (!item) { return; }
      var label = item.querySelector(".pick").textContent;
      if (withButtons) {
        var b = document.createElement("button");
        b.type = "button";
        b.textContent = label;
        b.addEventListener("click", function () {
          opener = null;
          closePop();
          select(key, { list: true, text: false });
          item.querySelector(".pick").focus({ preventScroll: true });
        });
        box.appendChild(b);
      } else {
        var h = document.createElement("h4");
        h.textContent = label;
        box.appendChild(h);
        var fields = item.querySelector(".fields");
        if (fields) { box.appendChild(fields.cloneNode(true)); }
      }
    });
  }

  document.querySelectorAll(".record .pick").forEach(function (button) {
    button.addEventListener("click", function () {
      select(button.getAttribute("data-key"), { list: false, text: true });
    });
  });
  document.querySelectorAll(".record .deep").forEach(function (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      select(link.closest(".record").id, { list: false, text: true });
    });
  });

  seed.addEventListener("click", function (event) {
    var segment = event.target.closest(".seg");
    if (!segment) { return; }
    var keys = keysOf(segment);
    tip.hidden = true;
    if (keys.length === 1) {
      select(keys[0], { list: true, text: false });
      return;
    }
    describe(pop, keys, true);
    place(pop, segment);
    pop.hidden = false;
    opener = document.activeElement;
    pop.querySelector("button").focus({ preventScroll: true });
  });

  seed.addEventListener("mouseover", function (event) {
    var segment = event.target.closest(".seg");
    if (!segment || !pop.hidden) { tip.hidden = true; return; }
    describe(tip, keysOf(segment), false);
    place(tip, segment);
    tip.hidden = false;
  });
  seed.addEventListener("mouseleave", function () { tip.hidden = true; });

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { tip.hidden = true; closePop(); }
  });
  document.addEventListener("click", function (event) {
    if (!pop.hidden && !pop.contains(event.target) && !event.target.closest(".seg")) { closePop(); }
  });

  function fromHash() {
    var key = decodeURIComponent(location.hash.slice(1));
    if (key) { select(key, { list: true, text: true }); }
  }
  window.addEventListener("hashchange", fromHash);
  if (document.readyState === "complete") { fromHash(); } else { window.addEventListener("load", fromHash); }
})();
