// Progressive enhancement only: every page works without this script.
"use strict";

// Ask before a destructive form is submitted. The question is on the form,
// or on the button that submitted it (a list's rows share one form).
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement)) {
    return;
  }
  // Browsers without SubmitEvent.submitter (Safari before 15.4) still focus
  // the button that was pressed.
  const button = event.submitter ?? document.activeElement;
  const question = (button instanceof HTMLButtonElement ? button.dataset.confirm : undefined)
    ?? form.dataset.confirm;
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});

// Move focus to the error summary so keyboard and screen-reader users hear it.
document.addEventListener("DOMContentLoaded", () => {
  const summary = document.querySelector(".error-summary");
  if (summary) {
    summary.focus();
  }
});
