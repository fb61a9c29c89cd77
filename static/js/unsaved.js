// Forms marked data-unsaved-warning ask before the page is left with unsaved input.
(function () {
  let dirty = false;
  document.querySelectorAll("form[data-unsaved-warning]").forEach(function (form) {
    form.addEventListener("input", function () { dirty = true; });
    form.addEventListener("submit", function () { dirty = false; });
  });
  window.addEventListener("beforeunload", function (e) { if (dirty) { e.preventDefault(); e.returnValue = ""; } });
})();
