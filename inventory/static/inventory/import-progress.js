// A progress bar for the admin's import: the form sends a key of its own (`progress_key`), and
// while the server works, this polls /admin/progress/<key>/ for {done, total} and fills the bar.
(function () {
  "use strict";

  function newKey() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function start(form) {
    var key = newKey();
    var input = document.createElement("input");
    input.type = "hidden";
    input.name = "progress_key";
    input.value = key;
    form.appendChild(input);

    var box = document.createElement("div");
    box.className = "import-progress";
    box.setAttribute("role", "status");
    var bar = document.createElement("progress");
    var label = document.createElement("span");
    label.textContent = " Reading the file...";
    box.appendChild(bar);
    box.appendChild(label);
    form.appendChild(box);

    function poll() {
      fetch("/admin/progress/" + key + "/", { credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          if (data && data.total) {
            bar.max = data.total;
            bar.value = data.done;
            label.textContent = " " + data.done + " of " + data.total + " rows";
          }
        })
        .catch(function () {})
        .then(function () { window.setTimeout(poll, 500); });
    }
    window.setTimeout(poll, 300);
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.querySelector("[name=import_file], [name=import_file_name]")) {
      start(form);
    }
  });
})();
