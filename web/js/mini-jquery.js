/* kommo-sandbox: a small jQuery-compatible subset for widgets (the `jquery` AMD module).
 * Written for the sandbox; covers the calls widgets commonly make. */
(function () {
  'use strict';
  function Q(nodes) { this.length = 0; var self = this; nodes.forEach(function (n) { self[self.length++] = n; }); }
  function toNodes(html) { var t = document.createElement('template'); t.innerHTML = html.trim(); return Array.prototype.slice.call(t.content.childNodes); }

  function $(sel, ctx) {
    if (sel instanceof Q) return sel;
    if (typeof sel === 'function') { if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', sel); else sel($); return new Q([]); }
    if (!sel) return new Q([]);
    if (typeof sel !== 'string') return new Q(sel.nodeType || sel === window ? [sel] : Array.prototype.slice.call(sel));
    if (/^\s*</.test(sel)) return new Q(toNodes(sel));
    var root = ctx ? $(ctx)[0] : document;
    return new Q(Array.prototype.slice.call(root.querySelectorAll(sel)));
  }
  var fn = $.fn = Q.prototype;
  fn.jquery = '3.0.0-kommo-sandbox';
  fn.each = function (cb) { for (var i = 0; i < this.length; i++) cb.call(this[i], i, this[i]); return this; };
  fn.toArray = function () { return Array.prototype.slice.call(this); };
  fn.get = function (i) { return i === undefined ? this.toArray() : this[i]; };
  fn.eq = function (i) { return new Q(this[i] ? [this[i]] : []); };
  fn.first = function () { return this.eq(0); };
  fn.find = function (sel) { var out = []; this.each(function () { out = out.concat(Array.prototype.slice.call(this.querySelectorAll(sel))); }); return new Q(out); };
  fn.closest = function (sel) { var out = []; this.each(function () { var c = this.closest(sel); if (c && out.indexOf(c) < 0) out.push(c); }); return new Q(out); };
  fn.parent = function () { var out = []; this.each(function () { if (this.parentNode) out.push(this.parentNode); }); return new Q(out); };
  fn.children = function () { var out = []; this.each(function () { out = out.concat(Array.prototype.slice.call(this.children)); }); return new Q(out); };
  fn.is = function (sel) { return this.toArray().some(function (n) { return n.matches && n.matches(sel); }); };
  fn.html = function (h) { if (h === undefined) return this[0] ? this[0].innerHTML : undefined; return this.each(function () { this.innerHTML = h; }); };
  fn.text = function (t) { if (t === undefined) return this.toArray().map(function (n) { return n.textContent; }).join(''); return this.each(function () { this.textContent = t; }); };
  fn.val = function (v) { if (v === undefined) return this[0] ? this[0].value : undefined; return this.each(function () { this.value = v; }); };
  fn.attr = function (k, v) { if (v === undefined && typeof k === 'string') return this[0] ? this[0].getAttribute(k) : undefined; return this.each(function () { this.setAttribute(k, v); }); };
  fn.removeAttr = function (k) { return this.each(function () { this.removeAttribute(k); }); };
  fn.prop = function (k, v) { if (v === undefined) return this[0] ? this[0][k] : undefined; return this.each(function () { this[k] = v; }); };
  fn.data = function (k, v) { if (v === undefined) { var d = this[0] && this[0].dataset[k]; return d; } return this.each(function () { this.dataset[k] = v; }); };
  fn.css = function (k, v) {
    if (typeof k === 'string' && v === undefined) return this[0] ? getComputedStyle(this[0])[k] : undefined;
    var props = typeof k === 'string' ? (function () { var o = {}; o[k] = v; return o; })() : k;
    return this.each(function () { var n = this; Object.keys(props).forEach(function (p) { n.style[p] = props[p]; }); });
  };
  fn.addClass = function (c) { return this.each(function () { this.classList.add.apply(this.classList, c.split(/\s+/).filter(Boolean)); }); };
  fn.removeClass = function (c) { return this.each(function () { this.classList.remove.apply(this.classList, c.split(/\s+/).filter(Boolean)); }); };
  fn.toggleClass = function (c, on) { return this.each(function () { this.classList.toggle(c, on); }); };
  fn.hasClass = function (c) { return this.toArray().some(function (n) { return n.classList.contains(c); }); };
  fn.show = function () { return this.each(function () { this.style.display = ''; this.hidden = false; }); };
  fn.hide = function () { return this.each(function () { this.style.display = 'none'; }); };
  function nodesOf(content) { return typeof content === 'string' ? toNodes(content) : $(content).toArray(); }
  fn.append = function (c) { return this.each(function () { var n = this; nodesOf(c).forEach(function (x) { n.appendChild(x); }); }); };
  fn.prepend = function (c) { return this.each(function () { var n = this; nodesOf(c).reverse().forEach(function (x) { n.insertBefore(x, n.firstChild); }); }); };
  fn.appendTo = function (t) { $(t).append(this); return this; };
  fn.after = function (c) { return this.each(function () { var n = this; nodesOf(c).reverse().forEach(function (x) { n.parentNode.insertBefore(x, n.nextSibling); }); }); };
  fn.remove = function () { return this.each(function () { if (this.parentNode) this.parentNode.removeChild(this); }); };
  fn.empty = function () { return this.html(''); };
  // .on(events, [selector], handler): delegated when a selector is given.
  fn.on = function (events, sel, handler) {
    if (typeof sel === 'function') { handler = sel; sel = null; }
    return this.each(function () {
      var node = this;
      events.split(/\s+/).forEach(function (ev) {
        var name = ev.split('.')[0];
        var wrapped = function (e) {
          var target = sel ? e.target.closest && e.target.closest(sel) : node;
          if (!target || (sel && !node.contains(target))) return;
          if (handler.call(target, e, e.detail) === false) { e.preventDefault(); e.stopPropagation(); }
        };
        (node.__kq = node.__kq || []).push({ ev: ev, name: name, fn: wrapped, orig: handler });
        node.addEventListener(name, wrapped);
      });
    });
  };
  fn.off = function (events) {
    return this.each(function () {
      var node = this, list = node.__kq || [];
      node.__kq = list.filter(function (l) {
        var match = !events || events.split(/\s+/).some(function (e) { return e === l.ev || e === l.name || (e.charAt(0) === '.' && l.ev.indexOf(e) > 0); });
        if (match) node.removeEventListener(l.name, l.fn);
        return !match;
      });
    });
  };
  fn.one = function (ev, h) { var self = this; return this.on(ev, function w(e) { self.off(ev); return h.call(this, e); }); };
  fn.trigger = function (ev, data) { return this.each(function () { if (ev === 'click' && this.click) this.click(); else this.dispatchEvent(new CustomEvent(ev, { bubbles: true, detail: data })); }); };
  ['click', 'change', 'submit', 'keyup', 'keydown', 'input', 'focus', 'blur'].forEach(function (name) {
    fn[name] = function (h) { return h ? this.on(name, h) : this.trigger(name); };
  });

  $.each = function (obj, cb) { if (Array.isArray(obj)) obj.forEach(function (v, i) { cb.call(v, i, v); }); else Object.keys(obj || {}).forEach(function (k) { cb.call(obj[k], k, obj[k]); }); return obj; };
  $.extend = function () {
    var args = Array.prototype.slice.call(arguments), deep = false;
    if (typeof args[0] === 'boolean') deep = args.shift();
    var target = args.shift() || {};
    args.forEach(function (src) {
      Object.keys(src || {}).forEach(function (k) {
        var v = src[k];
        target[k] = deep && v && typeof v === 'object' && !Array.isArray(v) ? $.extend(true, target[k] || {}, v) : v;
      });
    });
    return target;
  };
  $.isArray = Array.isArray;
  $.isFunction = function (f) { return typeof f === 'function'; };
  $.trim = function (s) { return String(s == null ? '' : s).trim(); };
  $.param = function (o) { return new URLSearchParams(o).toString(); };
  // jQuery's jqXHR-ish: a promise with done/fail/always.
  function deferred(promise) {
    promise.done = function (f) { promise.then(f, function () {}); return promise; };
    promise.fail = function (f) { promise.then(null, f); return promise; };
    promise.always = function (f) { promise.then(f, f); return promise; };
    return promise;
  }
  $.Deferred = function () {
    var res, rej, p = deferred(new Promise(function (a, b) { res = a; rej = b; }));
    p.resolve = function (v) { res(v); return p; }; p.reject = function (v) { rej(v); return p; };
    p.promise = function () { return p; };
    return p;
  };
  $.ajax = function (opts) {
    opts = opts || {};
    var method = (opts.type || opts.method || 'GET').toUpperCase(), url = opts.url, body;
    if (opts.data && method === 'GET') url += (url.indexOf('?') < 0 ? '?' : '&') + $.param(opts.data);
    else if (opts.data) body = typeof opts.data === 'string' ? opts.data : $.param(opts.data);
    var headers = $.extend({}, opts.headers);
    if (body && !headers['Content-Type']) headers['Content-Type'] = opts.contentType || 'application/x-www-form-urlencoded; charset=UTF-8';
    var p = fetch(url, { method: method, headers: headers, body: body }).then(function (r) {
      return r.text().then(function (t) {
        var data = t;
        if (opts.dataType === 'json' || /json/.test(r.headers.get('content-type') || '')) { try { data = JSON.parse(t); } catch (e) { data = t; } }
        if (!r.ok) throw { status: r.status, responseText: t };
        return data;
      });
    });
    p.then(opts.success, opts.error);
    return deferred(p);
  };
  $.get = function (url, data, success, dataType) { if (typeof data === 'function') { dataType = success; success = data; data = undefined; } return $.ajax({ url: url, data: data, success: success, dataType: dataType }); };
  $.getJSON = function (url, data, success) { return $.get(url, data, success, 'json'); };
  $.post = function (url, data, success, dataType) { return $.ajax({ type: 'POST', url: url, data: data, success: success, dataType: dataType }); };
  window.jQuery = window.$ = $;
})();
