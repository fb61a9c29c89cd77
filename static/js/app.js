// Behaviour shared by every page.
// Buttons marked data-confirm ask before their form is sent (an action that is hard to undo).
document.querySelectorAll("[data-confirm]").forEach(function (button) {
  button.addEventListener("click", function (event) {
    if (!window.confirm(button.dataset.confirm)) { event.preventDefault(); }
  });
});

// Text areas grow with what is typed in them, so a long description or duty list is all in view.
function fitHeight(area) {
  area.style.height = "auto";
  area.style.height = area.scrollHeight + 2 + "px";
}
document.querySelectorAll("textarea").forEach(function (area) {
  fitHeight(area);
  area.addEventListener("input", function () { fitHeight(area); });
});
