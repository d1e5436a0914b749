// Progressive enhancement only: every page works without this script.
"use strict";

// Ask before a destructive form is submitted (delete buttons carry data-confirm).
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
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
