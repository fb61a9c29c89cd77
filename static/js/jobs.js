// A background job's page: asks for its progress every second, moves the bar, and offers the
// file (and starts its download once) when it is ready.
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
        show(status);
        if (status.state === "done") {
          window.location.assign(status.file);
        } else if (status.state !== "failed") {
          window.setTimeout(poll, 1000);
        }
      })
      .catch(function () {
        state.textContent = "暂时无法取得进度，请稍后点“刷新进度”。";
      });
  }

  if (box.dataset.state !== "done" && box.dataset.state !== "failed") poll();
})();
