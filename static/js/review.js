// The review form: choosing another grade rewrites the drafted 审核意见 for that grade, as long
// as the reviewer has not changed the text; text they wrote is never replaced.
(function () {
  "use strict";
  const data = document.getElementById("review-drafts");
  const comment = document.getElementById("review-comment");
  if (!data || !comment) return;
  const drafts = JSON.parse(data.textContent);
  const untouched = function () {
    return Object.keys(drafts).some(function (grade) { return drafts[grade] === comment.value; });
  };
  document.querySelectorAll('.review-form input[name="grade"]').forEach(function (radio) {
    radio.addEventListener("change", function () {
      if (radio.checked && untouched()) comment.value = drafts[radio.value];
    });
  });
})();
