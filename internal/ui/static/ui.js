// ward dashboard: progressive enhancement only. Every page works without
// this file; it adds search as you type on the inventory and live updates
// on the audit timeline. It builds DOM nodes with textContent only.
"use strict";

(function () {
  // Search as you type: fetch the inventory for the form's values and
  // swap the page's inventory region for the new one.
  function inventory(form) {
    var timer = null, seq = 0;
    function refresh() {
      var params = new URLSearchParams(new FormData(form));
      params.delete("page");
      var url = form.getAttribute("action") + "?" + params.toString();
      var mine = ++seq;
      var partial = new URLSearchParams(params);
      partial.set("partial", "1");
      fetch(form.getAttribute("action") + "?" + partial.toString(), { credentials: "same-origin" })
        .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.text(); })
        .then(function (html) {
          if (mine !== seq) { return; }
          var doc = new DOMParser().parseFromString(html, "text/html");
          var fresh = doc.getElementById("inventory"), old = document.getElementById("inventory");
          if (!fresh || !old) { return; }
          var active = document.activeElement && document.activeElement.id;
          var caret = active === "q" ? document.getElementById("q").selectionStart : null;
          old.replaceWith(fresh);
          history.replaceState(null, "", url);
          var f = fresh.querySelector("form[data-live]");
          if (f) { inventory(f); }
          if (active) {
            var el = document.getElementById(active);
            if (el) { el.focus(); if (caret !== null && el.setSelectionRange) { el.setSelectionRange(caret, caret); } }
          }
        })
        .catch(function () { /* the form still works by submitting */ });
    }
    form.addEventListener("input", function (e) {
      if (e.target.id !== "q") { return; }
      clearTimeout(timer);
      timer = setTimeout(refresh, 200);
    });
    form.addEventListener("change", function (e) {
      if (e.target.tagName === "SELECT") { refresh(); }
    });
  }

  // Live audit: poll the feed for records after the newest one shown.
  function timeline(table) {
    var head = table.getAttribute("data-head") || "0";
    var feed = table.getAttribute("data-feed");
    var live = document.getElementById("live");
    var status = document.getElementById("live-status");
    var body = table.tBodies[0];
    function cell(tr, text, code) {
      var td = document.createElement("td");
      if (code) { var c = document.createElement("code"); c.textContent = text; td.appendChild(c); } else { td.textContent = text; }
      tr.appendChild(td);
      return td;
    }
    function poll() {
      if (!live || !live.checked || document.hidden) { return; }
      var sep = feed.indexOf("?") >= 0 ? "&" : "?";
      fetch(feed + sep + "after=" + encodeURIComponent(head), { credentials: "same-origin" })
        .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
        .then(function (d) {
          if (d.head && Number(d.head) > Number(head)) { head = String(d.head); }
          if (!d.records || d.records.length === 0) { return; }
          var empty = body.querySelector("tr.empty");
          if (empty) { empty.remove(); }
          for (var i = d.records.length - 1; i >= 0; i--) {
            var rec = d.records[i], tr = document.createElement("tr");
            tr.className = "fresh";
            cell(tr, rec.time); cell(tr, rec.identity); cell(tr, rec.operation); cell(tr, rec.path, true);
            var st = cell(tr, ""), b = document.createElement("span");
            b.className = "badge " + (rec.status < 400 ? "ok" : "bad");
            b.textContent = String(rec.status);
            if (rec.error) { b.title = rec.error; }
            st.appendChild(b);
            cell(tr, rec.pipeline); cell(tr, rec.remote);
            body.insertBefore(tr, body.firstChild);
          }
          if (status) { status.textContent = d.records.length + " new answered request" + (d.records.length === 1 ? "" : "s") + "."; }
        })
        .catch(function () { if (status) { status.textContent = "Live updates paused: the dashboard could not reach ward."; } });
    }
    setInterval(poll, 3000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var f = document.querySelector("form[data-live]");
    if (f) { inventory(f); }
    var t = document.getElementById("timeline");
    if (t) { timeline(t); }
  });
})();
