// The run form of the browsable API (core/api/browsable.py): each spool that cannot feed the run
// is marked in the material rows' choices, and cannot be newly chosen: its kind is not the one the
// chosen products allow, or it has fewer free grams than the row's estimate. The options carry the
// data (`data-kind` on products and spools, `data-available-g` on spools); the server still decides.
// Served as a file: the Content-Security-Policy runs no inline script.
(function () {
  "use strict";

  var ESTIMATES = ["estimated_model_g", "estimated_flushed_g", "estimated_tower_g"];

  function requiredKinds(form) {
    var kinds = [];
    form.querySelectorAll('fieldset[data-rows="items"] select').forEach(function (select) {
      var option = select.options[select.selectedIndex];
      var kind = option ? option.getAttribute("data-kind") : "";
      if (kind && kinds.indexOf(kind) === -1) {
        kinds.push(kind);
      }
    });
    return kinds;
  }

  function estimateOf(row) {
    var total = 0;
    ESTIMATES.forEach(function (name) {
      var input = row.querySelector('input[name$="]' + name + '"]');
      var value = input ? parseFloat(input.value) : NaN;
      if (!isNaN(value)) {
        total += value;
      }
    });
    return total;
  }

  function reasonsAgainst(option, kinds, needed) {
    var reasons = [];
    var kind = option.getAttribute("data-kind");
    if (kinds.length > 1) {
      reasons.push("the products need " + kinds.join(" and "));
    } else if (kinds.length === 1 && kind !== kinds[0]) {
      reasons.push("not " + kinds[0]);
    }
    var available = parseFloat(option.getAttribute("data-available-g"));
    if (needed > 0 && !isNaN(available) && available < needed) {
      reasons.push("only " + available.toFixed(2) + " g free");
    }
    return reasons;
  }

  function mark(form) {
    var materials = form.querySelector('fieldset[data-rows="materials"]');
    if (!materials || !form.querySelector('fieldset[data-rows="items"]')) {
      return;
    }
    var kinds = requiredKinds(form);
    materials.querySelectorAll("tr.form-row").forEach(function (row) {
      var needed = estimateOf(row);
      row.querySelectorAll("select").forEach(function (select) {
        Array.prototype.forEach.call(select.options, function (option) {
          if (!option.hasAttribute("data-kind")) {
            return;
          }
          if (!option.hasAttribute("data-label")) {
            option.setAttribute("data-label", option.textContent.trim());
          }
          var reasons = reasonsAgainst(option, kinds, needed);
          var label = option.getAttribute("data-label");
          option.textContent = reasons.length ? label + " \u2014 does not fit: " + reasons.join(", ") : label;
          option.classList.toggle("does-not-fit", reasons.length > 0);
          option.disabled = reasons.length > 0 && !option.selected;
        });
      });
    });
  }

  function markFormOf(event) {
    var target = event.target;
    var form = target instanceof Element ? target.closest("form") : null;
    if (form) {
      mark(form);
    }
  }

  document.addEventListener("change", markFormOf);
  document.addEventListener("input", markFormOf);
  // After form-rows.js (loaded first) has added a row.
  document.addEventListener("click", function (event) {
    if (event.target instanceof Element && event.target.closest(".form-row-add")) {
      markFormOf(event);
    }
  });
  document.querySelectorAll("form").forEach(mark);
})();
