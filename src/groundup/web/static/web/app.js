// GroundUp clinic app: live progress of an analysis (polls the job's status; no framework).
(function () {
  "use strict";
  var box = document.getElementById("job");
  if (!box) { return; }
  var url = box.getAttribute("data-status-url");
  function text(id, value) { var el = document.getElementById(id); if (el) { el.textContent = value; } }
  function update(s) {
    var bar = document.getElementById("job-progress");
    if (bar) { bar.value = s.percent; bar.textContent = s.percent + " %"; }
    text("job-percent", s.percent + " %");
    text("job-state", s.state);
    text("job-stage", s.stage || "waiting for the worker");
    text("job-fps", s.frames_per_s ? s.frames_per_s + " frames/s" : "");
    text("job-message", s.message || "");
    var msg = document.getElementById("job-message");
    if (msg) { msg.className = s.state === "failed" ? "error" : ""; }
    if (s.report_url) {
      var link = document.getElementById("job-report-link");
      link.href = s.report_url;
      document.getElementById("job-report").hidden = false;
    }
    if (s.finished) {
      ["job-cancel", "job-exam"].forEach(function (id) {
        var el = document.getElementById(id);
        if (el) { el.hidden = true; }
      });
    }
    return s.finished;
  }
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (s) { if (!s || !update(s)) { setTimeout(poll, 1000); } })
      .catch(function () { setTimeout(poll, 3000); });
  }
  poll();
})();
