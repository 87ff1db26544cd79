// The Operations page, live: polls its figures (/console/operations/status, JSON) and
// updates the rows in place, every second while a rebuild is under way, else every five.
// Without this script the page still works: it reloads itself during a rebuild.
(function () {
  "use strict";
  var FAST = 1000, SLOW = 5000;
  var url = window.location.pathname.replace(/\/$/, "") + "/status";
  var seen = {};  // model -> generation serving when the page (or the last poll) saw it

  function number(value) {
    return value === null || value === undefined ? "\u2014" : Math.round(value).toLocaleString("en-US");
  }
  function percent(rate) { return (rate * 100).toFixed(1) + "\u00a0%"; }
  function label(code) { return code.charAt(0).toUpperCase() + code.slice(1).replace(/_/g, " "); }
  function field(row, name) { return row.querySelector('[data-field="' + name + '"]'); }
  function setText(element, text) { if (element && element.textContent !== text) element.textContent = text; }

  function rebuildText(r) {
    if (r.status === "requested") return "Generation " + r.generation + " requested, waiting for the projector";
    if (r.status === "failed") return "Generation " + r.generation + " stopped: " + (r.last_error || "");
    return "Generation " + r.generation + ": " + percent(r.progress) + " (" + number(r.position) +
      " of " + number(r.head) + ")";
  }

  function showRebuild(cell, model) {
    var r = model.rebuild, bar = field(cell, "rebuild-bar"), text = field(cell, "rebuild-text");
    if (!text) { text = document.createElement("span"); text.dataset.field = "rebuild-text"; cell.appendChild(text); }
    if (r) {
      if (!bar) {
        bar = document.createElement("progress");
        bar.dataset.field = "rebuild-bar";
        bar.max = 1;
        bar.setAttribute("aria-label", "Rebuild of " + model.name);
        cell.insertBefore(bar, text);
      }
      bar.value = r.progress;
      text.className = "";
      setText(text, rebuildText(r));
    } else {
      if (bar) bar.remove();
      var before = seen[model.name], now = model.serving && model.serving.generation;
      if (before !== undefined && now && now !== before) {
        text.className = "done";
        setText(text, "Generation " + now + " swapped in");
      }
    }
    if (model.serving) seen[model.name] = model.serving.generation;
  }

  function showModel(model) {
    var row = document.querySelector('tr[data-model="' + model.name + '"]');
    if (!row) return false;
    if (seen[model.name] === undefined) {
      var shown = parseInt(field(row, "generation").textContent, 10);
      if (!isNaN(shown)) seen[model.name] = shown;
    }
    var s = model.serving || {}, state = model.serving ? s.status : "not built";
    setText(field(row, "generation"), model.serving ? String(s.generation) : "\u2014");
    var status = field(row, "status");
    setText(status, label(state));
    status.className = "status " + state.replace(/ /g, "-");
    setText(field(row, "position"), number(s.position));
    setText(field(row, "lag"), number(s.lag_events));
    setText(field(row, "rate"), number(s.events_per_second));
    showRebuild(field(row, "rebuild"), model);
    var busy = model.rebuild !== null && model.rebuild.status !== "failed";
    field(row, "button").disabled = busy;
    return busy;
  }

  function show(ops) {
    var busy = false, active = 0;
    ops.read_models.forEach(function (model) {
      busy = showModel(model) || busy;
      if (model.serving && model.serving.status === "active") active += 1;
    });
    setText(document.querySelector('[data-op="head"]'), number(ops.head));
    setText(document.querySelector('[data-op="active"]'), String(active));
    setText(document.querySelector('[data-op="sealed"]'), number(ops.audit.position));
    setText(document.querySelector('[data-op="live"]'), "live, updated " +
      new Date().toLocaleTimeString("en-GB"));
    document.body.dataset.rebuilding = busy ? "yes" : "no";
    return busy;
  }

  function poll() {
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (answer) {
        if (!answer.ok) throw new Error("status " + answer.status);
        return answer.json();
      })
      .then(function (ops) { window.setTimeout(poll, show(ops) ? FAST : SLOW); })
      .catch(function () {
        setText(document.querySelector('[data-op="live"]'), "not updating: reload the page");
        window.setTimeout(poll, SLOW);
      });
  }

  document.addEventListener("DOMContentLoaded", poll);
})();
