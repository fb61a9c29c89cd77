// The project editor: add, remove and reorder 三级 rows, show the value inputs that fit the
// operator, suggest indicators, check the targets live, and warn before unsaved changes are lost.
(function () {
  "use strict";
  const form = document.getElementById("project-editor");
  if (!form) return;
  const total = form.querySelector("#id_ind-TOTAL_FORMS");
  const template = document.getElementById("row-template");
  const findingsList = document.getElementById("live-findings");
  const checkStatus = document.getElementById("check-status");
  let dirty = false;

  function renumber() {
    form.querySelectorAll("tr.ind-row").forEach(function (row, i) {
      const order = row.querySelector('input[name$="-ORDER"]');
      if (order) order.value = i + 1;
    });
  }

  function showValueInputs(row) {
    const op = row.querySelector('select[name$="-operator"]');
    const qualitative = op.value === "定性";
    row.querySelector(".ind-number").hidden = qualitative;
    row.querySelector(".ind-unit").hidden = qualitative;
    row.querySelector(".ind-text").hidden = !qualitative;
  }

  function addRow(categoryId) {
    const index = parseInt(total.value, 10);
    const html = template.innerHTML.replace(/__prefix__/g, String(index));
    const body = form.querySelector('tbody.ind-group[data-category="' + categoryId + '"]');
    body.insertAdjacentHTML("beforeend", html);
    const row = body.lastElementChild;
    row.querySelector('input[name$="-category"]').value = categoryId;
    if (body.dataset.cost === "1") {
      // A cost is a ceiling in money: ≤ ×× 万元.
      row.querySelector('select[name$="-operator"]').value = "≤";
      row.querySelector(".ind-unit").value = "万元";
    }
    total.value = index + 1;
    wireRow(row);
    renumber();
    row.querySelector(".ind-name").focus();
    return row;
  }

  function wireRow(row) {
    showValueInputs(row);
    row.querySelector('select[name$="-operator"]').addEventListener("change", function () {
      showValueInputs(row);
    });
    row.querySelector(".move-up").addEventListener("click", function () {
      const prev = row.previousElementSibling;
      if (prev && prev.classList.contains("ind-row")) row.parentNode.insertBefore(row, prev);
      renumber();
      changed();
    });
    row.querySelector(".move-down").addEventListener("click", function () {
      const next = row.nextElementSibling;
      if (next) row.parentNode.insertBefore(next, row);
      renumber();
      changed();
    });
    row.querySelector(".ind-delete").addEventListener("change", function (event) {
      row.classList.toggle("deleted", event.target.checked);
      changed();
    });
    wireSuggestions(row);
  }

  // --- suggestions -------------------------------------------------------------------------
  function wireSuggestions(row) {
    const input = row.querySelector(".ind-name");
    const list = row.querySelector(".suggestions");
    let timer = null;
    function load() {
      const category = row.querySelector('input[name$="-category"]').value;
      const params = new URLSearchParams({
        category: category, q: input.value, department: form.dataset.department, year: form.dataset.year,
      });
      fetch(form.dataset.suggestUrl + "?" + params.toString(), { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (data) {
          list.innerHTML = "";
          data.suggestions.forEach(function (s) {
            const li = document.createElement("li");
            li.textContent = s.name;
            const source = document.createElement("small");
            source.textContent = " " + s.source + (s.unit ? " · " + s.operator + " " + s.unit : "");
            li.appendChild(source);
            li.addEventListener("mousedown", function (event) {
              event.preventDefault();
              pick(row, s);
              list.hidden = true;
            });
            list.appendChild(li);
          });
          list.hidden = data.suggestions.length === 0;
        })
        .catch(function () { list.hidden = true; });
    }
    input.addEventListener("focus", load);
    input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(load, 250); });
    input.addEventListener("blur", function () { setTimeout(function () { list.hidden = true; }, 150); });
  }

  function pick(row, s) {
    row.querySelector(".ind-name").value = s.name;
    const desc = row.querySelector('textarea[name$="-description"]');
    if (!desc.value) desc.value = s.description || s.name;
    const op = row.querySelector('select[name$="-operator"]');
    op.value = s.operator || "定性";
    row.querySelector(".ind-unit").value = s.unit || "";
    const basis = row.querySelector('input[name$="-basis"]');
    if (!basis.value) basis.value = s.basis || "计划标准";
    showValueInputs(row);
    changed();
    const target = op.value === "定性" ? row.querySelector(".ind-text") : row.querySelector(".ind-number");
    target.focus();
  }

  // --- live checks -------------------------------------------------------------------------
  let checkTimer = null;
  function changed() {
    dirty = true;
    clearTimeout(checkTimer);
    checkTimer = setTimeout(runChecks, 400);
  }

  // Control characters (pasted from other programs, invisible) cannot be saved: the field says
  // so at once, and the form is not sent, so nothing typed is lost.
  const CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/;
  const CONTROL_MESSAGE = "含有不能保存的控制字符（多为从其他程序粘贴来的不可见字符），请删除后再保存";
  function markControlCharacters() {
    let found = null;
    Array.prototype.forEach.call(form.elements, function (el) {
      if (typeof el.value !== "string" || el.type === "hidden" || !el.setCustomValidity) return;
      const bad = CONTROL.test(el.value);
      el.setCustomValidity(bad ? CONTROL_MESSAGE : "");
      if (bad && !found) found = el;
    });
    return found;
  }

  function runChecks() {
    if (markControlCharacters()) {
      checkStatus.textContent = "有字段" + CONTROL_MESSAGE;
      return;
    }
    checkStatus.textContent = "检查中…";
    fetch(form.dataset.checkUrl, { method: "POST", body: new FormData(form), credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) { showFindings(data.save_errors || [], data.findings); })
      .catch(function () { checkStatus.textContent = "检查暂不可用"; });
  }

  function anchorElement(anchor) {
    if (anchor.indexOf("row-") === 0) {
      const name = form.querySelector('[name="ind-' + anchor.slice(4) + '-name"]');
      return name ? name.closest("tr") : null;
    }
    if (anchor === "cost") return null;
    if (anchor.indexOf("field:") === 0) {
      return form.querySelector('[name="' + anchor.slice(6).replace(/"/g, "") + '"]');
    }
    return form.querySelector('[data-anchor="' + anchor.replace(/"/g, "") + '"]');
  }

  // A mechanical fix (= to ≥, adding ≤ to a cost) puts the suggested value into the row.
  const FIX = /^(≥|≤|>|<)?\s*(-?\d+(?:\.\d+)?)\s*(.*)$/;
  function applyFix(row, value) {
    const match = FIX.exec(value);
    const op = row.querySelector('select[name$="-operator"]');
    if (match) {
      op.value = match[1] || "=";
      row.querySelector(".ind-number").value = match[2];
      row.querySelector(".ind-unit").value = match[3];
    } else {
      op.value = "定性";
      row.querySelector(".ind-text").value = value;
    }
    showValueInputs(row);
    changed();
  }

  function fixButton(row, value) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "button small fix-button";
    button.textContent = "改为 " + value;
    button.addEventListener("click", function () { applyFix(row, value); });
    return button;
  }

  // A place in the list is a link: it scrolls to the row or field and puts the cursor there.
  function placeLink(li, where, anchor) {
    let target = anchorElement(anchor);
    // A schedule finding names its milestone (12月底): the link goes to that field.
    const month = anchor === "schedule" && /(\d+)月底/.exec(where);
    if (month) target = form.querySelector('[name="schedule_' + month[1] + '"]') || target;
    const place = li.querySelector(".where");
    place.textContent = where;
    if (!target) return;
    const link = document.createElement("a");
    link.href = "#";
    link.className = "where-link";
    link.textContent = where;
    link.addEventListener("click", function (event) {
      event.preventDefault();
      target.scrollIntoView({ block: "center" });
      const input = target.matches("input, textarea, select") ? target :
        target.querySelector("input:not([type=hidden]), textarea, select");
      if (input) input.focus();
    });
    place.textContent = "";
    place.appendChild(link);
  }

  // What the form refuses on saving, first in the list: nothing is saved until it is right.
  function showSaveErrors(errors) {
    errors.forEach(function (e) {
      const li = document.createElement("li");
      li.className = "finding finding-save";
      li.innerHTML = '<span class="sev sev-save">不能保存</span><span class="where"></span>' +
        '<div class="finding-body"><span class="msg"></span></div>';
      placeLink(li, e.where, e.anchor);
      li.querySelector(".msg").textContent = e.message;
      findingsList.appendChild(li);
    });
  }

  function showFindings(saveErrors, findings) {
    form.querySelectorAll(".flag-error, .flag-warning, .flag-info").forEach(function (el) {
      el.classList.remove("flag-error", "flag-warning", "flag-info");
    });
    form.querySelectorAll(".row-finding").forEach(function (el) { el.remove(); });
    findingsList.innerHTML = "";
    showSaveErrors(saveErrors);
    const counts = { error: 0, warning: 0, info: 0 };
    findings.forEach(function (f) {
      counts[f.severity] += 1;
      const li = document.createElement("li");
      li.className = "finding finding-" + f.severity;
      li.dataset.code = f.code;
      li.innerHTML = '<span class="sev sev-' + f.severity + '"></span><span class="where"></span>' +
        '<div class="finding-body"><strong class="rule-title"></strong>：<span class="msg"></span>' +
        '<div class="fix-note"></div><div class="reason"></div></div>';
      // An error blocks submitting (not saving); warnings and notes block nothing.
      li.querySelector(".sev").textContent = f.severity === "error" ? "不能提交" : f.label;
      placeLink(li, f.where, f.anchor);
      li.querySelector(".rule-title").textContent = f.rule;
      li.querySelector(".msg").textContent = f.message;
      li.querySelector(".fix-note").textContent = f.suggestion ? "建议：" + f.suggestion : "";
      li.querySelector(".reason").textContent = "依据：" + f.reason;
      findingsList.appendChild(li);
      const el = anchorElement(f.anchor);
      if (el) {
        el.classList.add("flag-" + f.severity);
        if (el.tagName === "TR") {
          const note = document.createElement("div");
          note.className = "row-finding sev-" + f.severity;
          note.textContent = f.message;
          if (f.fix) {
            const button = fixButton(el, f.fix);
            note.appendChild(button);
            li.querySelector(".fix-note").appendChild(fixButton(el, f.fix));
          }
          el.querySelector(".col-name").appendChild(note);
        }
      }
    });
    if (!findings.length && !saveErrors.length) {
      findingsList.innerHTML = '<li class="ok-note">未发现问题。</li>';
    }
    checkStatus.textContent = (saveErrors.length ? "不能保存 " + saveErrors.length + " · " : "") +
      "不能提交 " + counts.error + " · 警告 " + counts.warning + " · 提示 " + counts.info;
  }

  // --- wiring ------------------------------------------------------------------------------
  form.querySelectorAll("tr.ind-row").forEach(wireRow);
  form.querySelectorAll(".add-row").forEach(function (button) {
    button.addEventListener("click", function () { addRow(button.dataset.category); changed(); });
  });
  form.addEventListener("input", changed);
  form.addEventListener("submit", function (event) {
    const bad = markControlCharacters();
    if (bad) {
      event.preventDefault();
      form.reportValidity();
      return;
    }
    dirty = false;
  });
  window.addEventListener("beforeunload", function (event) {
    if (!dirty) return;
    event.preventDefault();
    event.returnValue = "";
  });
  renumber();
  runChecks();
})();
