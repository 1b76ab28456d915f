/* kommo-sandbox: the `twigjs` module widgets import, Twig.js itself. Kommo's system templates
 * (`/tmpl/controls/*.twig`) are registered under their paths, so `{ref: '/tmpl/controls/button.twig'}`
 * finds them as it does in Kommo. Callable as `twigjs({...})`, and as `twigjs.twig({...})`. */
define(['twig',
  'text!tmpl/controls/button.twig', 'text!tmpl/controls/cancel_button.twig', 'text!tmpl/controls/delete_button.twig',
  'text!tmpl/controls/input.twig', 'text!tmpl/controls/textarea.twig', 'text!tmpl/controls/checkbox.twig',
  'text!tmpl/controls/radio.twig', 'text!tmpl/controls/select.twig', 'text!tmpl/controls/switcher.twig',
  'text!tmpl/controls/suggest.twig', 'text!tmpl/controls/date_field.twig', 'text!tmpl/controls/file.twig'
], function (Twig) {
  'use strict';
  var CONTROLS = ['button', 'cancel_button', 'delete_button', 'input', 'textarea', 'checkbox', 'radio', 'select', 'switcher', 'suggest', 'date_field', 'file'];
  var sources = Array.prototype.slice.call(arguments, 1);
  // Twig.js joins a root-relative include (`/tmpl/controls/x.twig`) onto the including template's
  // folder; on Kommo's pages such a path is from the site root, where the system templates live.
  Twig.extend(function (T) {
    var relative = T.path.relativePath;
    T.path.relativePath = function (template, file) { return /^\//.test(file || '') ? file : relative.call(this, template, file); };
  });
  CONTROLS.forEach(function (name, i) {
    Twig.twig({ id: '/tmpl/controls/' + name + '.twig', data: sources[i], allowInlineIncludes: true });
  });

  function twigjs(params) {
    // A widget's templates may include the system ones by their registered paths, as in Kommo.
    if (params && !params.ref && params.allowInlineIncludes === undefined) params = Object.assign({ allowInlineIncludes: true }, params);
    var template = Twig.twig(params);
    // Twig.js answers an unknown ref with null; say which refs exist instead of a TypeError later.
    if (!template && params && params.ref) {
      throw new Error('twigjs: no template registered as ' + JSON.stringify(params.ref) +
        '; system templates: ' + CONTROLS.map(function (n) { return '/tmpl/controls/' + n + '.twig'; }).join(', '));
    }
    return template;
  }
  Object.keys(Twig).forEach(function (k) { twigjs[k] = Twig[k]; });
  twigjs.twig = twigjs;
  twigjs.controls = CONTROLS;
  return twigjs;
});
