"use strict";
// Bring the cited span into view on the document page.
(function () {
  const m = document.getElementById("cited");
  if (m) m.scrollIntoView({ block: "center" });
})();
