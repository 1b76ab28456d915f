/* kommo-sandbox: a web1on1 web widget (developers.web1on1.chat "Widget API") backed by the
 * sandbox's website chat. Options: window.web1on1Options = {account, embedded, container};
 * the account may also be given as data-account on this script tag. */
(function () {
  'use strict';
  var script = document.currentScript;
  var options = window.web1on1Options || {};
  var base = new URL(script ? script.src : location.href, location.href).origin;
  var account = String(options.account || (script && script.getAttribute('data-account')) || '');
  var embedded = !!options.embedded;
  var visitor = localStorage.getItem('web1on1_visitor');
  if (!visitor) { visitor = 'w' + Math.random().toString(16).slice(2, 12); localStorage.setItem('web1on1_visitor', visitor); }
  var opened = embedded, local = [], remote = [], ui = {};

  function api(method, path, body) {
    var init = { method: method, headers: { 'Content-Type': 'application/json' } };
    if (body !== undefined) init.body = JSON.stringify(body);
    // The public chat surface (CORS), callable from the site's own origin.
    return fetch(base + '/online_chat/' + encodeURIComponent(account) + path.replace(/^\/online_chat/, ''), init).then(function (r) {
      return r.json().then(function (j) { if (!r.ok) throw new Error(j.error || String(r.status)); return j; });
    });
  }
  function record(method, args) {
    api('POST', '/sdk_calls', { method: 'web1on1.' + method, args: args, page: 'web1on1' }).catch(function () {});
  }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function draw() {
    var holder = embedded ? document.querySelector(options.container || 'body') : document.body;
    var root = el('div', 'w1-root');
    if (!embedded) root.style.cssText = 'position:fixed;right:20px;bottom:20px;width:320px;font:14px sans-serif';
    ui.panel = el('div', 'w1-panel');
    ui.panel.hidden = !opened;
    ui.list = el('div', 'w1-messages');
    ui.errors = el('div', 'w1-errors');
    ui.errors.style.color = '#c00';
    ui.input = el('textarea', 'w1-input');
    var send = el('button', 'w1-send', 'Send');
    send.addEventListener('click', function () { var t = ui.input.value.trim(); ui.input.value = ''; if (t) sendClientMessage(t).catch(function () {}); });
    ui.panel.appendChild(ui.list); ui.panel.appendChild(ui.errors); ui.panel.appendChild(ui.input); ui.panel.appendChild(send);
    root.appendChild(ui.panel);
    if (!embedded) {
      var launcher = el('button', 'w1-launcher', 'Chat');
      launcher.addEventListener('click', function () { opened ? web1on1.close() : web1on1.open(); });
      root.appendChild(launcher);
    }
    holder.appendChild(root);
  }

  function render() {
    ui.list.innerHTML = '';
    remote.concat(local).forEach(function (m) {
      var row = el('div', 'w1-message ' + (m.is_out ? 'w1-client' : 'w1-agent') + (m.fake ? ' w1-fake' : ''));
      if (m.author && m.author.name) row.appendChild(el('b', 'w1-author', m.author.name + ': '));
      row.appendChild(el('span', 'w1-text', m.text));
      ui.list.appendChild(row);
    });
  }

  function poll() {
    return api('GET', '/online_chat/messages?visitor=' + encodeURIComponent(visitor))
      .then(function (v) { remote = v.messages; render(); }).catch(function () {});
  }

  // Sends on the visitor's behalf; `>cs ` messages are commands and a malformed one rejects.
  function sendClientMessage(text) {
    record('api.sendClientMessage', [text]);
    return ready.then(function () { return api('POST', '/online_chat/messages', { visitor: visitor, text: String(text) }); })
      .then(function (r) { poll(); return r; })
      .catch(function (e) {
        ui.errors.appendChild(el('div', 'w1-error', e.message));
        console.error('[web1on1] ' + e.message);
        throw e;
      });
  }

  var web1on1 = window.web1on1 = {
    open: function () { record('open', []); if (embedded) return; opened = true; ui.panel.hidden = false; },
    close: function () { record('close', []); if (embedded) return; opened = false; ui.panel.hidden = true; },
    isOpened: function () { return opened; },
    setPredefinedMessage: function (message) { record('setPredefinedMessage', [message]); ui.input.value = String(message); },
    api: {
      showFakeAgentMessage: function (message, name) {
        record('api.showFakeAgentMessage', name === undefined ? [message] : [message, name]);
        local.push({ text: String(message), is_out: false, fake: true, author: name ? { name: name } : undefined });
        render();
      },
      sendClientMessage: sendClientMessage
    }
  };

  draw();
  api('GET', '/online_chat/button').then(function (b) { if (b.warning) console.warn('[web1on1] ' + b.warning); }).catch(function () {});
  var ready = api('POST', '/online_chat/session', { visitor: visitor, widget: 'web1on1', open: false });
  ready.then(function () { poll(); setInterval(poll, 700); if (typeof window.web1on1Ready === 'function') window.web1on1Ready(web1on1); });
})();
