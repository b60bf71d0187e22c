// Keyboard moves in the work queue: j / k focus the next / previous case, "/" the search box.
(function () {
  document.addEventListener("keydown", function (event) {
    var tag = (event.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "select" || tag === "textarea" || event.ctrlKey || event.metaKey || event.altKey) return;
    var links = Array.prototype.slice.call(document.querySelectorAll("#queue a.case-link"));
    if (event.key === "/") {
      var search = document.querySelector("input[name=q]");
      if (search) { event.preventDefault(); search.focus(); }
      return;
    }
    if (!links.length || (event.key !== "j" && event.key !== "k")) return;
    var at = links.indexOf(document.activeElement);
    var next = event.key === "j" ? Math.min(at + 1, links.length - 1) : Math.max(at - 1, 0);
    links[next].focus();
    event.preventDefault();
  });
})();
