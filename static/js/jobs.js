// A background job's page: asks for its progress every second, moves the bar, and offers the
// file (and starts its download once) when it is ready; an import's page shows its outcome.
(function () {
  "use strict";
  var box = document.getElementById("job");
  if (!box) return;
  var bar = document.getElementById("job-bar");
  var state = document.getElementById("job-state");
  var percent = document.getElementById("job-percent");
  var error = document.getElementById("job-error");
  var file = document.getElementById("job-file");
  var refresh = document.getElementById("job-refresh");
  var again = document.getElementById("job-again");
  var misses = 0;

  function show(status) {
    bar.value = status.percent;
    bar.textContent = status.percent + "%";
    percent.textContent = status.percent + "%";
    var text = status.state_label;
    if (status.total && status.state !== "done") {
      text += "：已完成 " + status.done + " / " + status.total;
    }
    state.textContent = text;
    box.dataset.state = status.state;
    if (status.state === "failed") {
      error.textContent = status.error;
      error.hidden = false;
      refresh.hidden = true;
      again.hidden = false;
    }
    if (status.state === "done") {
      file.hidden = false;
      refresh.hidden = true;
    }
  }

  function poll() {
    fetch(box.dataset.status, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.json();
      })
      .then(function (status) {
        misses = 0;
        show(status);
        if (status.state === "done") {
          // A file is downloaded; an import's outcome is shown by the page itself.
          if (status.file) window.location.assign(status.file);
          else window.location.reload();
        } else if (status.state === "failed" && box.dataset.import) {
          window.location.reload(); // an import's problems, listed by the page
        } else if (status.state !== "failed") {
          window.setTimeout(poll, 1000);
        }
      })
      .catch(function () {
        // A missed answer (a restart, the network): ask again, less and less often.
        misses += 1;
        state.textContent = "暂时无法取得进度，正在重试……";
        window.setTimeout(poll, Math.min(30000, 1000 * Math.pow(2, misses)));
      });
  }

  // Opened by the click that asked for the file (?start=1): a job already done downloads now,
  // once; the address loses the mark, so a reload or a later visit downloads nothing.
  var started = new URLSearchParams(window.location.search).has("start");
  if (started) window.history.replaceState(null, "", window.location.pathname);
  if (box.dataset.state === "done" && started && !file.hidden && !box.dataset.import) {
    window.location.assign(file.href);
  } else if (box.dataset.state !== "done" && box.dataset.state !== "failed") {
    poll();
  }
})();
