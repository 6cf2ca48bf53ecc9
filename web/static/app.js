// sohoa pages: the little script the pages need (no inline script; CSP script-src 'self').
// - Upload forms: drop files on the zone or pick them, see their order, move or remove them.
//   The chosen order is written back into the <input type=file>, so the form (plain or htmx)
//   sends the files in the order shown.
// - "Select all" checkboxes of the signing queue.
(function () {
  "use strict";

  function setupDropzone(zone) {
    var input = zone.querySelector("input[type=file]");
    var list = zone.querySelector("[data-filelist]");
    if (!input || !list || typeof DataTransfer === "undefined") { return; }
    var files = [];
    var labels = {
      up: zone.getAttribute("data-label-up") || "Up",
      down: zone.getAttribute("data-label-down") || "Down",
      remove: zone.getAttribute("data-label-remove") || "Remove"
    };

    function sync() {
      var dt = new DataTransfer();
      files.forEach(function (f) { dt.items.add(f); });
      input.files = dt.files;
      render();
    }

    function button(text, label, onClick) {
      var b = document.createElement("button");
      b.type = "button";
      b.className = "secondary";
      b.textContent = text;
      b.setAttribute("aria-label", label);
      b.addEventListener("click", onClick);
      return b;
    }

    function render() {
      list.textContent = "";
      files.forEach(function (f, i) {
        var li = document.createElement("li");
        li.appendChild(document.createTextNode(f.name + " (" + Math.ceil(f.size / 1024) + " KB)"));
        if (i > 0) {
          li.appendChild(button("↑", labels.up + ": " + f.name, function () {
            files.splice(i - 1, 0, files.splice(i, 1)[0]); sync();
          }));
        }
        if (i < files.length - 1) {
          li.appendChild(button("↓", labels.down + ": " + f.name, function () {
            files.splice(i + 1, 0, files.splice(i, 1)[0]); sync();
          }));
        }
        li.appendChild(button("✕", labels.remove + ": " + f.name, function () {
          files.splice(i, 1); sync();
        }));
        list.appendChild(li);
      });
    }

    input.addEventListener("change", function () {
      // A new pick adds to what is already listed (several scans, picked one by one).
      var picked = Array.prototype.slice.call(input.files);
      var known = files.map(function (f) { return f.name + f.size; });
      picked.forEach(function (f) { if (known.indexOf(f.name + f.size) < 0) { files.push(f); } });
      sync();
    });
    ["dragenter", "dragover"].forEach(function (type) {
      zone.addEventListener(type, function (e) { e.preventDefault(); zone.classList.add("over"); });
    });
    ["dragleave", "drop"].forEach(function (type) {
      zone.addEventListener(type, function () { zone.classList.remove("over"); });
    });
    zone.addEventListener("drop", function (e) {
      e.preventDefault();
      Array.prototype.forEach.call(e.dataTransfer.files, function (f) { files.push(f); });
      sync();
    });
    var form = zone.closest("form");
    if (form) {
      form.addEventListener("htmx:afterRequest", function (e) {
        // Only a stored document clears the form; a refusal keeps the files for a fix.
        var xhr = e.detail.xhr;
        if (e.detail.successful && xhr && xhr.getResponseHeader("X-Sohoa-Stored") === "1") {
          files = []; sync(); form.reset();
        }
      });
    }
  }

  function setupSelectAll(box) {
    box.addEventListener("change", function () {
      var form = box.closest("form");
      form.querySelectorAll("input[type=checkbox][name=document_id]").forEach(function (c) {
        c.checked = box.checked;
      });
    });
  }

  function init(root) {
    root.querySelectorAll("[data-dropzone]").forEach(setupDropzone);
    root.querySelectorAll("[data-select-all]").forEach(setupSelectAll);
  }

  document.addEventListener("DOMContentLoaded", function () { init(document); });
})();
