"use strict";
// Swagger UI over this server's own OpenAPI description; from a file, not inline, so the page's
// Content-Security-Policy (script-src 'self') holds. No validator badge: it would call a web service.
window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout",
});
