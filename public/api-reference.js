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
    // Without an API key a call tried here runs as the signed-in user, whose writes need the
    // session's CSRF token; it is sent to this server only.
    requestInterceptor: (req) => {
      const csrf = el.dataset.csrf;
      if (csrf && new URL(req.url, location.href).origin === location.origin)
        req.headers['x-csrf-token'] = csrf;
      return req;
    },
  });
})();
