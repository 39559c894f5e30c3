// Site behaviour without inline scripts (the Content-Security-Policy forbids them).
document.addEventListener("submit", function (event) {
  var form = event.target;
  var question = form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
    return;
  }
  // A second click must not submit the same form twice.
  if (form.dataset.submitted === "1") {
    event.preventDefault();
    return;
  }
  form.dataset.submitted = "1";
});

document.addEventListener("change", function (event) {
  var box = event.target;
  if (box.id === "budget_negotiable") {
    var input = document.getElementById("budget_wan");
    if (input) { input.disabled = box.checked; }
  }
  if (box.matches && box.matches("select[data-autosubmit]")) {
    box.form.submit();
  }
});
