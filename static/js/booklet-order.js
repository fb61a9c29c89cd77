// The booklet order page: ↑ and ↓ move a table, and the order numbers follow.
(function () {
  const body = document.querySelector("#order-form tbody");
  function renumber() { body.querySelectorAll(".order-input").forEach(function (input, i) { input.value = i + 1; }); }
  body.addEventListener("click", function (event) {
    const row = event.target.closest("tr");
    if (event.target.classList.contains("up") && row.previousElementSibling) body.insertBefore(row, row.previousElementSibling);
    if (event.target.classList.contains("down") && row.nextElementSibling) body.insertBefore(row.nextElementSibling, row);
    renumber();
  });
})();
