// Developer Hub CRM — small enhancements on top of pages that work without JavaScript.
(function () {
  "use strict";

  // Forms with data-confirm ask before submitting (the server still checks everything).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var message = form.getAttribute && form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  });
})();
