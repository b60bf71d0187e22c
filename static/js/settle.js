// Behaviour that would otherwise be inline (the Content-Security-Policy allows no inline script).
document.addEventListener("change", (event) => {
  // A select marked data-autosubmit (the language switch) submits its form when changed.
  if (event.target.matches("select[data-autosubmit]")) {
    event.target.form.submit();
  }
});
