// Behaviour shared by every page. Buttons marked data-print print the page.
document.querySelectorAll("[data-print]").forEach(function (button) {
  button.addEventListener("click", function () { window.print(); });
});
