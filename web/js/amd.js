/* kommo-sandbox: a small AMD loader (define/require) standing in for Kommo's RequireJS. */
(function () {
  'use strict';
  // `defined`: modules given by define(id, ...) or provided by the host; `loading`: scripts being fetched.
  var defined = {}, loading = {}, anonymous = [];
  var config = { baseUrl: '' };

  function load(id) {
    if (defined[id]) return defined[id];
    if (loading[id]) return loading[id];
    loading[id] = new Promise(function (resolve, reject) {
      var s = document.createElement('script');
      s.src = /^(https?:)?\/\//.test(id) || id.charAt(0) === '/' ? id : config.baseUrl + '/' + id.replace(/^\.\//, '') + (/\.js$/.test(id) ? '' : '.js');
      s.onload = function () {
        var def = anonymous.shift();
        if (!def && defined[id]) return defined[id].then(resolve, reject);
        if (!def) return reject(new Error('script ' + s.src + ' did not call define()'));
        instantiate(def.deps, def.factory).then(resolve, reject);
      };
      s.onerror = function () { reject(new Error('cannot load module ' + id + ' from ' + s.src)); };
      document.head.appendChild(s);
    });
    return loading[id];
  }

  function instantiate(deps, factory) {
    return Promise.all(deps.map(load)).then(function (values) {
      return typeof factory === 'function' ? factory.apply(null, values) : factory;
    });
  }

  window.define = function (id, deps, factory) {
    if (typeof id !== 'string') { factory = deps; deps = id; id = null; }
    if (!Array.isArray(deps)) { factory = deps; deps = []; }
    if (id) defined[id] = instantiate(deps, factory);
    else anonymous.push({ deps: deps, factory: factory });
  };
  window.define.amd = { jQuery: true };
  window.require = window.requirejs = function (deps, cb, errback) {
    var p = Promise.all((Array.isArray(deps) ? deps : [deps]).map(load));
    p.then(function (v) { if (cb) cb.apply(null, v); }, function (e) { if (errback) errback(e); else console.error(e); });
    return p;
  };
  window.require.config = function (c) { Object.keys(c || {}).forEach(function (k) { config[k] = c[k]; }); };
  // Host modules are given as values, not scripts.
  window.require.provide = function (id, value) { defined[id] = Promise.resolve(value); };
})();
