/* kommo-sandbox: how the emulated Kommo interface talks to the sandbox. */
(function () {
  'use strict';
  var ctx = window.SANDBOX_CONTEXT;
  var chain = Promise.resolve();
  function url(path) { return ctx.base_url + '/_sandbox/accounts/' + encodeURIComponent(ctx.account_key) + path; }

  window.KommoSandbox = {
    ctx: ctx,
    api: function (method, path, body) {
      var init = { method: method, headers: { 'Content-Type': 'application/json' } };
      if (body !== undefined) init.body = JSON.stringify(body);
      return fetch(path.charAt(0) === '/' && path.indexOf('/_sandbox/') === 0 ? ctx.base_url + path : url(path), init).then(function (r) {
        return r.text().then(function (t) {
          var j = t ? JSON.parse(t) : null;
          if (!r.ok) throw new Error((j && j.error) || String(r.status));
          return j;
        });
      });
    },
    // Synchronous on purpose: the JS SDK answers synchronously, and must see what a scenario set a moment ago.
    apiSync: function (method, path, body) {
      var x = new XMLHttpRequest();
      x.open(method, url(path), false);
      x.setRequestHeader('Content-Type', 'application/json');
      x.send(body === undefined ? null : JSON.stringify(body));
      return JSON.parse(x.responseText);
    },
    // Every SDK call lands in GET /_sandbox/accounts/{id}/sdk_calls, in call order.
    record: function (method, args) {
      var body = { method: method, args: JSON.parse(JSON.stringify(args, function (k, v) { return typeof v === 'function' ? '[function]' : v; }) || '[]'), page: 'widget-host:' + ctx.widget.code };
      chain = chain.then(function () { return window.KommoSandbox.api('POST', '/sdk_calls', body); }).catch(function () {});
      return chain;
    },
    idle: function () { return chain; }
  };
})();
