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

// A control character (an invisible one pasted from another program) is refused by the server,
// which then cannot show the form again: every form is stopped before it is sent, with the
// field named by the browser's own message, and nothing typed is lost.
const CONTROL_CHARACTER = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;
document.querySelectorAll("form").forEach(function (form) {
  form.addEventListener("submit", function (event) {
    let found = null;
    Array.prototype.forEach.call(form.elements, function (el) {
      if (typeof el.value !== "string" || el.type === "hidden" || !el.setCustomValidity) return;
      const bad = CONTROL_CHARACTER.test(el.value);
      el.setCustomValidity(bad ? "含有不能保存的控制字符（多为从其他程序粘贴来的不可见字符），请删除后再保存" : "");
      if (bad && !found) found = el;
    });
    if (found) {
      event.preventDefault();
      found.reportValidity();
    }
  }, true);
  form.addEventListener("input", function (event) {
    if (event.target.setCustomValidity) event.target.setCustomValidity("");
  });
});
