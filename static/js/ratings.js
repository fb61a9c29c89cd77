// The ratings page: the grade the scale gives is shown while the actual value is typed, with
// the same rule as departments/scales.py (lower bounds cascade from 优 down; upper bounds cover
// everything below them; a value in a hole or an overlap gets no grade), and a value above
// 100% is flagged. The server checks again on save.
(function () {
  function satisfies(op, value, limit) {
    if (op === "≥") return value >= limit;
    if (op === ">") return value > limit;
    if (op === "≤") return value <= limit;
    return value < limit;
  }
  function gradesFor(bounds, value) {
    const matched = [];
    let higher = false;
    bounds.forEach(function (b) {
      const limit = parseFloat(b[2]);
      if (b[1] === "≥" || b[1] === ">") {
        if (!higher && satisfies(b[1], value, limit)) { matched.push(b[0]); higher = true; }
      } else if (satisfies(b[1], value, limit)) {
        matched.push(b[0]);
      }
    });
    return matched;
  }
  document.querySelectorAll("tr.rating-row[data-bounds]").forEach(function (row) {
    const input = row.querySelector(".rating-actual");
    if (!input) return;
    const bounds = JSON.parse(row.dataset.bounds);
    const shown = row.querySelector(".computed");
    const over = row.querySelector(".over-100");
    function update() {
      const text = input.value.trim();
      const value = Number(text);
      if (text === "" || !Number.isFinite(value) || value < 0) {
        shown.textContent = "";
        over.hidden = true;
        return;
      }
      const grades = gradesFor(bounds, value);
      shown.textContent = grades.length === 1 ? grades[0] : "无（空档）";
      over.hidden = !(value > 100);
    }
    input.addEventListener("input", update);
  });
})();
