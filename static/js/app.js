// Behaviour shared by every page.
// Buttons marked data-confirm ask before their form is sent (an action that is hard to undo).
document.querySelectorAll("[data-confirm]").forEach(function (button) {
  button.addEventListener("click", function (event) {
    if (!window.confirm(button.dataset.confirm)) { event.preventDefault(); }
  });
});
