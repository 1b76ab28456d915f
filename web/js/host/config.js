/* kommo-sandbox: RequireJS as Kommo's interface configures it for widgets. Module ids are
 * resolved from the page root, so `widgets/<code>/script` loads `/widgets/<code>/script.js` and
 * the widget's relative ids (`./x`, `../lib/y`, `./views/z.js`) resolve from the requiring file. */
(function () {
  'use strict';
  // Uncaught errors and unhandled rejections of the page, for tests that assert there were none.
  window.sandboxPageErrors = [];
  window.addEventListener('error', function (e) { window.sandboxPageErrors.push(String(e.message || e.error)); });
  window.addEventListener('unhandledrejection', function (e) { window.sandboxPageErrors.push('unhandled rejection: ' + String(e.reason && e.reason.message || e.reason)); });
  requirejs.config({
    baseUrl: '/',
    // Kommo's own bundles sit on one host; a widget waits long for a slow CDN rather than failing.
    waitSeconds: 30,
    paths: {
      jquery: 'vendor/jquery/jquery.min',
      underscore: 'vendor/underscore/underscore-min',
      lodash: 'vendor/lodash/lodash.min',
      backbone: 'vendor/backbone/backbone-min',
      twig: 'vendor/twig/twig.min',
      es6promise: 'vendor/es6-promise/es6-promise.min',
      text: 'vendor/requirejs-text/text',
      json: 'vendor/requirejs-plugins/json',
      twigjs: 'js/host/twigjs',
      host: 'js/host',
      'lib/components/base/modal': 'js/host/modal',
      'lib/components/base/confirm': 'js/host/confirm'
    },
    map: { '*': { 'es6-promise': 'es6promise', 'lib/components/base/modal.js': 'lib/components/base/modal' } }
  });
  // A module that cannot load (a typo, a file missing from the widget folder) is named on the page.
  requirejs.onError = function (err) {
    var text = '[kommo-sandbox] ' + err.requireType + ': ' + (err.requireModules || []).join(', ') + ' — ' + err.message;
    console.error(text);
    window.sandboxPageErrors.push(text);
    window.sandboxErrors = (window.sandboxErrors || []).concat([text]);
    if (window.KommoSandbox) window.KommoSandbox.record('host.require_error', [text]);
    if (!document.body.hasAttribute('data-widget-ready')) document.body.setAttribute('data-widget-error', text);
    var box = document.getElementById('sandbox_errors');
    if (box) { var p = document.createElement('div'); p.className = 'sandbox-error'; p.textContent = text; box.appendChild(p); }
  };
})();
