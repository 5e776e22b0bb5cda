// Starts Swagger UI on /api/docs (views/api/reference.ejs) with the document its element names.
(function () {
  const el = document.getElementById('swagger-ui');
  if (!el || !window.SwaggerUIBundle) return;
  window.SwaggerUIBundle({
    url: el.dataset.url,
    domNode: el,
    deepLinking: true,
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout',
    // Calls tried from the page go to this server with the key given under Authorize.
    tryItOutEnabled: false,
    persistAuthorization: false,
    validatorUrl: null,
  });
})();
