// Rows of a list in the browsable API's HTML forms (core/api/browsable.py): "Add a row" clones
// the list's row template with the next index, "Remove" drops a row. Served as a file: the
// Content-Security-Policy runs no inline script.
(function () {
  "use strict";

  function addRow(fieldset) {
    var template = fieldset.querySelector("template.form-row-template");
    var index = parseInt(fieldset.getAttribute("data-next-index"), 10) || 0;
    var html = template.innerHTML.split("__index__").join(String(index));
    var body = fieldset.querySelector("tbody");
    body.insertAdjacentHTML("beforeend", html);
    fieldset.setAttribute("data-next-index", String(index + 1));
    var first = body.lastElementChild && body.lastElementChild.querySelector("select, input");
    if (first) {
      first.focus();
    }
  }

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!(target instanceof Element)) {
      return;
    }
    var add = target.closest(".form-row-add");
    if (add) {
      event.preventDefault();
      addRow(add.closest("fieldset.form-rows"));
      return;
    }
    var remove = target.closest(".form-row-remove");
    if (remove) {
      event.preventDefault();
      remove.closest("tr.form-row").remove();
    }
  });
})();
