/* kommo-sandbox: the website chat button (Kommo `crmPlugin`, amoCRM `amoSocialButton`).
 * Reads window.crmPluginConfig / window.amoSocialButtonConfig, drains the loader's queue in
 * order, and talks to the sandbox as the chat's visitor. */
(function () {
  'use strict';
  var KINDS = [
    { fn: 'crmPlugin', cfg: 'crm_plugin', config: 'crmPluginConfig' },
    { fn: 'amoSocialButton', cfg: 'amo_social_button', config: 'amoSocialButtonConfig' }
  ];
  var LOCALES = {
    en: { compose_placeholder: 'Write a message...', delivery_status_sending: 'Sending', delivery_status_sent: 'Sent', delivery_status_read: 'Read', delivery_status_error: 'Error', powered_by: 'Powered by', new_messages: 'New messages', date_format: 'dd.MM.yyyy', time_format: 'HH:mm' },
    es: { compose_placeholder: 'Escribe un mensaje...', delivery_status_sending: 'Enviando', delivery_status_sent: 'Enviado', delivery_status_read: 'Leído', delivery_status_error: 'Error', powered_by: 'Desarrollado por', new_messages: 'Mensajes nuevos', date_format: 'dd.MM.yyyy', time_format: 'HH:mm' },
    pt: { compose_placeholder: 'Escreva uma mensagem...', delivery_status_sending: 'Enviando', delivery_status_sent: 'Enviado', delivery_status_read: 'Lido', delivery_status_error: 'Erro', powered_by: 'Desenvolvido por', new_messages: 'Novas mensagens', date_format: 'dd.MM.yyyy', time_format: 'HH:mm' },
    ru: { compose_placeholder: 'Написать сообщение...', delivery_status_sending: 'Отправляется', delivery_status_sent: 'Отправлено', delivery_status_read: 'Прочитано', delivery_status_error: 'Ошибка', powered_by: 'Сделано в', new_messages: 'Новые сообщения', date_format: 'dd.MM.yyyy', time_format: 'HH:mm' }
  };
  var POLL_MS = 500;
  var COMPOSE_MAX = 170; // documented hard maximum of theme.compose.height

  function scriptFor(kind) {
    var el = document.getElementById(kind.cfg + '_script');
    if (el && el.src) return el.src;
    return document.currentScript ? document.currentScript.src : location.href;
  }

  function Instance(kind) {
    this.kind = kind;
    this.base = new URL(scriptFor(kind), location.href).origin;
    this.plugin = window[kind.cfg] || {};
    this.config = window[kind.config] || {};
    this.chatConfig = this.config.onlinechat || {};
    this.account = String(this.plugin.id || '');
    this.handlers = {};
    this.shown = false;
    this.ready = false;
    this.messages = [];
    this.seen = {};
    this.lastConversationKey = null;
    this.visitor = this.visitorId();
    this.locale = this.buildLocale();
  }

  Instance.prototype.visitorId = function () {
    if (this.chatConfig.user_id) return 'user:' + this.chatConfig.user_id;
    var key = 'kommo_sandbox_visitor';
    var id = localStorage.getItem(key);
    if (!id) {
      id = 'v' + Math.random().toString(16).slice(2, 10) + Date.now().toString(16);
      localStorage.setItem(key, id);
    }
    return id;
  };

  // locale.extends picks the built-in strings (en, es, pt, ru); the other keys override them.
  Instance.prototype.buildLocale = function () {
    var given = this.chatConfig.locale || {};
    var base = LOCALES[given.extends] || LOCALES[this.plugin.locale] || LOCALES.en;
    var out = {};
    Object.keys(base).forEach(function (k) { out[k] = base[k]; });
    Object.keys(given).forEach(function (k) { if (k !== 'extends') out[k] = given[k]; });
    return out;
  };

  Instance.prototype.api = function (method, path, body) {
    // The public chat surface (CORS): a site on any origin may call it; /_sandbox/ stays same-origin.
    var url = this.base + '/online_chat/' + encodeURIComponent(this.account) + path.replace(/^\/online_chat/, '');
    var init = { method: method, headers: { 'Content-Type': 'application/json' } };
    if (body !== undefined) init.body = JSON.stringify(body);
    return fetch(url, init).then(function (r) {
      return r.json().then(function (j) { if (!r.ok) throw new Error(j.error || r.status); return j; });
    });
  };

  // Recorded one after another so the sandbox sees the page's call order.
  Instance.prototype.record = function (method, args) {
    var self = this, body = { method: this.kind.fn + '.' + method, args: args, page: 'button' };
    this.recording = (this.recording || Promise.resolve()).then(function () { return self.api('POST', '/sdk_calls', body); }).catch(function () {});
  };

  Instance.prototype.fire = function (event, args) {
    (this.handlers[event] || []).forEach(function (h) {
      try { h.apply(null, args); } catch (e) { console.error(e); }
    });
  };

  // crmPlugin('<method>', ...) or crmPlugin('<event>|<event>', fn).
  Instance.prototype.dispatch = function (name, arg) {
    var self = this;
    if (typeof arg === 'function') {
      String(name).split('|').forEach(function (ev) { (self.handlers[ev] = self.handlers[ev] || []).push(arg); });
      if (name.indexOf('onChatReady') >= 0 && this.ready) arg();
      return;
    }
    var methods = {
      runChatShow: function () { return self.show(); },
      runChatHide: function () { self.hide(); },
      runDestroy: function () { self.destroy(); },
      sendKeyActionHook: function () { return self.keyAction(arg); }
    };
    if (!methods[name]) { console.warn('[kommo-sandbox] unknown ' + this.kind.fn + ' method: ' + name); return; }
    this.record(name, arg === undefined ? [] : [arg]);
    // Methods called before the chat is ready run once it is; each waits for the one before.
    this.methods = this.methods.then(methods[name]).catch(function (e) { console.error(e); });
  };

  Instance.prototype.install = function () {
    var self = this;
    var queued = (window[this.kind.fn] && window[this.kind.fn].q) || [];
    var fn = function () { return self.dispatch.apply(self, arguments); };
    window[this.kind.fn] = fn;
    var plugin = this.plugin;
    plugin.params = plugin.params || [];
    plugin.setMeta = function (p) {
      this.params = (this.params || []).concat([p]);
      self.record('setMeta', [p]);
      if (self.ready) self.api('POST', '/online_chat/meta', { visitor: self.visitor, meta: p });
    };
    window[this.kind.cfg] = plugin;
    this.drawButton();
    var ready;
    this.readyPromise = this.methods = new Promise(function (resolve) { ready = resolve; });
    // Drained in order: callbacks register at once, methods wait for readiness (still in order).
    for (var i = 0; i < queued.length; i++) self.dispatch.apply(self, queued[i]);
    // Never a dead launcher: a failed start is reported, the button stays on the page.
    this.start().then(ready, function (e) { console.warn('[kommo-sandbox] the chat could not start: ' + (e && e.message)); });
  };

  Instance.prototype.start = function () {
    var self = this;
    return Promise.all([
      this.api('GET', '/online_chat/button?hash=' + encodeURIComponent(this.plugin.hash || '')),
      this.api('POST', '/online_chat/session', { visitor: this.visitor, meta: this.plugin.params, open: false })
    ]).then(function (r) {
      self.settings = r[0];
      if (r[0].warning) console.warn('[kommo-sandbox] ' + r[0].warning);
      self.conversationId = r[1].conversation_id;
      self.drawServices();
      self.ready = true;
      self.fire('onChatReady', []);
      if (!self.settings.multi_conversations) self.fire('onConversationsChange', [false]);
      self.poll();
      self.timer = setInterval(function () { self.poll(); }, POLL_MS);
    });
  };

  // ---- DOM -------------------------------------------------------------------------------
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) e.textContent = text;
    return e;
  }

  Instance.prototype.drawButton = function () {
    var self = this;
    var root = el('div', { id: 'amo-livechat', 'class': 'ksb-root' });
    root.style.cssText = 'position:fixed;right:20px;bottom:20px;font:14px sans-serif;z-index:2147483000';
    // The clickable element carries the hook sites click from their own CTAs.
    var launcher = el('button', { id: 'amobutton', type: 'button', 'class': 'ksb-launcher amo-button', 'data-crm-widget-launcher': '' });
    launcher.style.cssText = 'border:0;border-radius:28px;padding:14px 18px;color:#fff;cursor:pointer';
    launcher.appendChild(el('span', { 'class': 'ksb-launcher-label' }, 'Chat'));
    this.unreadEl = el('span', { 'class': 'ksb-unread', hidden: '' }, '0');
    this.unreadEl.style.cssText = 'margin-left:6px;background:#e33;border-radius:9px;padding:0 6px';
    launcher.appendChild(this.unreadEl);
    // One service (the chat): open it at once; several: show the menu.
    launcher.addEventListener('click', function () {
      var services = (self.settings && self.settings.services) || [];
      if (services.length === 1 && services[0].code === 'online_chat') { if (self.shown) self.hide(); else self.show(); return; }
      self.servicesEl.hidden = !self.servicesEl.hidden;
    });
    this.servicesEl = el('div', { 'class': 'ksb-services', hidden: '' });
    this.previewEl = el('div', { 'class': 'ksb-preview', hidden: '' });
    this.previewEl.style.cssText = 'background:#fff;border:1px solid #ccc;padding:8px;margin-bottom:6px;max-width:260px';
    root.appendChild(this.previewEl);
    root.appendChild(this.servicesEl);
    root.appendChild(launcher);
    // hidden: no launcher on the page; the chat still opens with runChatShow.
    if (this.config.hidden) launcher.style.display = 'none';
    this.root = root;
    this.launcher = launcher;
    document.body.appendChild(root);
  };

  Instance.prototype.drawServices = function () {
    var self = this;
    // crmPluginConfig.color wins over the colour set in the CRM.
    this.launcher.style.background = this.config.color || this.settings.color;
    this.launcher.setAttribute('data-color', this.config.color || this.settings.color);
    (this.settings.services || []).forEach(function (s) {
      var a = el('a', { 'class': 'ksb-service', 'data-service': s.code, href: s.link }, s.code);
      a.style.cssText = 'display:block;padding:4px 0';
      a.addEventListener('click', function (ev) {
        ev.preventDefault(); // the sandbox never leaves the page for a messenger
        self.fire('onButtonClick', [s.code, s.link]);
        self.record('onButtonClick', [s.code, s.link]);
        if (s.code === 'online_chat') self.show();
      });
      self.servicesEl.appendChild(a);
    });
  };

  Instance.prototype.drawChat = function () {
    var self = this, theme = this.chatConfig.theme || {}, msg = theme.message || {};
    var chat = el('div', { 'class': 'ksb-chat', 'data-mode': this.mode() });
    chat.style.cssText = 'position:relative;display:flex;flex-direction:column;width:320px;height:420px;max-height:calc(100vh - 90px);border:1px solid #ccc;background:' + (theme.background || '#fff');
    if (theme.header !== false) {
      var header = el('div', { 'class': 'ksb-header' }, this.settings.title);
      var h = theme.header || {};
      header.style.cssText = 'padding:10px;background:' + (h.background || this.settings.color) + ';color:' + (h.color || '#fff');
      chat.appendChild(header);
    }
    var close = el('button', { 'class': 'ksb-close', type: 'button', 'aria-label': 'Close' }, '×');
    close.style.cssText = 'position:absolute;top:4px;right:6px;border:0;background:transparent;color:inherit;font-size:20px;cursor:pointer';
    close.addEventListener('click', function () { self.hide(); });
    chat.appendChild(close);
    this.listEl = el('div', { 'class': 'ksb-messages' });
    this.listEl.style.cssText = 'flex:1;overflow:auto;padding:8px;display:flex;flex-direction:column';
    chat.appendChild(this.listEl);
    var compose = el('div', { 'class': 'ksb-compose' });
    var c = theme.compose || {};
    var height = Math.min(Number(c.height) || 48, COMPOSE_MAX);
    compose.style.cssText = 'display:flex;min-height:' + height + 'px;max-height:' + COMPOSE_MAX + 'px';
    compose.setAttribute('data-height', String(height));
    this.input = el('textarea', { 'class': 'ksb-input', placeholder: this.locale.compose_placeholder });
    this.input.style.cssText = 'flex:1';
    var send = el('button', { 'class': 'ksb-send', type: 'button' }, '➤');
    send.style.background = c.button_background || this.settings.color;
    send.addEventListener('click', function () { self.send(); });
    this.input.addEventListener('keydown', function (e) { if (e.key === 'Enter' && !e.shiftKey) { e.preventDefault(); self.send(); } });
    compose.appendChild(this.input);
    compose.appendChild(send);
    chat.appendChild(compose);
    chat.appendChild(el('div', { 'class': 'ksb-powered' }, this.locale.powered_by + ' Kommo'));
    this.msgColors = msg;
    this.systemColor = theme.system_color;
    this.chatEl = chat;
    var holder = this.mode() === 'frame' ? document.querySelector(this.chatConfig.container) : this.root;
    if (!holder) { console.error('[kommo-sandbox] onlinechat.container ' + this.chatConfig.container + ' not found'); holder = this.root; }
    holder.insertBefore(chat, holder.firstChild);
    this.render();
  };

  Instance.prototype.mode = function () { return this.chatConfig.mode === 'frame' ? 'frame' : 'widget'; };

  // ---- chat ------------------------------------------------------------------------------
  Instance.prototype.show = function () {
    var self = this;
    if (!this.ready || this.shown) return;
    if (!this.chatEl) this.drawChat();
    this.chatEl.hidden = false;
    this.shown = true;
    this.previewEl.hidden = true;
    this.servicesEl.hidden = true; // the menu closes once a service is chosen
    this.fire('onChatShow', []);
    return this.api('POST', '/online_chat/session', { visitor: this.visitor, meta: this.plugin.params, open: true })
      .then(function () { return self.poll(); });
  };

  Instance.prototype.hide = function () {
    if (!this.shown) return;
    this.chatEl.hidden = true;
    this.shown = false;
    this.fire('onChatHide', []);
  };

  Instance.prototype.destroy = function () {
    clearInterval(this.timer);
    if (this.chatEl && this.chatEl.parentNode) this.chatEl.parentNode.removeChild(this.chatEl);
    if (this.root.parentNode) this.root.parentNode.removeChild(this.root);
    var kind = this.kind;
    // Back to the loader's queue stub: a new button.js run starts a fresh instance.
    window[kind.fn] = function () { (window[kind.fn].q = window[kind.fn].q || []).push(arguments); };
    var script = document.getElementById(kind.cfg + '_script');
    if (script) script.removeAttribute('data-ksb-started');
    delete instances[kind.fn];
  };

  Instance.prototype.keyAction = function (hook) {
    var self = this;
    return this.api('POST', '/online_chat/key_action', { visitor: this.visitor, hook: String(hook) }).then(function () { return self.poll(); });
  };

  Instance.prototype.send = function () {
    var self = this, text = this.input.value.trim();
    if (!text) return;
    this.input.value = '';
    var local = { id: 'local-' + Date.now(), text: text, is_out: true, created_at: Date.now(), status: 'sending', type: 'text' };
    this.messages.push(local);
    this.render();
    this.api('POST', '/online_chat/messages', { visitor: this.visitor, text: text })
      .then(function () { local.status = 'sent'; return self.poll(); })
      .catch(function () { local.status = 'error'; self.render(); });
  };

  Instance.prototype.poll = function () {
    var self = this;
    return this.api('GET', '/online_chat/messages?visitor=' + encodeURIComponent(this.visitor)).then(function (view) {
      var pending = self.messages.filter(function (m) { return m.status === 'sending' || m.status === 'error'; });
      self.messages = view.messages.concat(pending);
      self.view = view;
      self.onNewMessages(view);
      self.conversationsChanged(view);
      self.render();
    }).catch(function () {});
  };

  Instance.prototype.onNewMessages = function (view) {
    var self = this, fresh = [];
    view.messages.forEach(function (m) {
      if (!self.seen[m.id]) { self.seen[m.id] = true; if (!m.is_out) fresh.push(m); }
    });
    if (this.shown) {
      if (view.unread > 0) this.api('POST', '/online_chat/read', { visitor: this.visitor });
      this.setUnread(0);
      return;
    }
    this.setUnread(view.unread);
    // Frame mode shows only the counter; widget mode also pops a preview by the button.
    if (fresh.length && this.mode() === 'widget' && this.initialised) {
      this.previewEl.textContent = fresh[fresh.length - 1].text;
      this.previewEl.hidden = false;
    }
    this.initialised = true;
  };

  Instance.prototype.setUnread = function (n) {
    this.unreadEl.textContent = String(n);
    this.unreadEl.hidden = n === 0;
  };

  // onConversationsChange(conversations) with the documented item shape, when multi-conversations are on.
  Instance.prototype.conversationsChanged = function (view) {
    if (!this.settings.multi_conversations) return;
    var last = view.messages[view.messages.length - 1];
    var key = last ? last.id + ':' + view.is_closed : 'none';
    if (key === this.lastConversationKey) return;
    this.lastConversationKey = key;
    var item = { name: view.name, is_closed: view.is_closed, last_message: undefined };
    if (last) {
      item.last_message = { media: undefined, created_at: last.created_at, is_out: last.is_out, text: last.text, type: 'text', author: last.author ? { name: last.author.name } : undefined };
    }
    this.fire('onConversationsChange', [[item]]);
  };

  function pad(n) { return (n < 10 ? '0' : '') + n; }
  // The date-fns tokens the docs show: dd, MM, yyyy/YYYY, HH, mm.
  function format(ms, pattern) {
    var d = new Date(ms);
    return pattern.replace(/yyyy|YYYY/g, String(d.getFullYear())).replace(/dd/g, pad(d.getDate()))
      .replace(/MM/g, pad(d.getMonth() + 1)).replace(/HH/g, pad(d.getHours())).replace(/mm/g, pad(d.getMinutes()));
  }

  Instance.prototype.render = function () {
    if (!this.listEl) return;
    var self = this, colors = this.msgColors || {};
    this.listEl.innerHTML = '';
    this.messages.forEach(function (m) {
      var row = el('div', { 'class': 'ksb-message ' + (m.is_out ? 'ksb-out' : 'ksb-in'), 'data-id': m.id });
      // As in Kommo's chat: the visitor's own messages on the right, the manager's on the left.
      row.style.cssText = 'margin:4px 0;padding:6px 10px;border-radius:12px;max-width:75%;align-self:' + (m.is_out ? 'flex-end' : 'flex-start') + ';background:' + ((m.is_out ? colors.outgoing_background : colors.incoming_background) || (m.is_out ? '#dff' : '#eee')) + ';color:' + ((m.is_out ? colors.outgoing_color : colors.incoming_color) || '#000');
      if (!m.is_out && m.author) row.appendChild(el('div', { 'class': 'ksb-author' }, m.author.name));
      row.appendChild(el('div', { 'class': 'ksb-text' }, m.text));
      var meta = el('div', { 'class': 'ksb-meta' }, format(m.created_at, self.locale.date_format + ' ' + self.locale.time_format));
      if (m.is_out) meta.appendChild(el('span', { 'class': 'ksb-status', 'data-status': m.status }, ' ' + self.locale['delivery_status_' + m.status]));
      if (self.systemColor) meta.style.color = self.systemColor;
      row.appendChild(meta);
      self.listEl.appendChild(row);
    });
  };

  var instances = window.__kommoSandboxButtons = window.__kommoSandboxButtons || {};
  KINDS.forEach(function (kind) {
    var present = window[kind.cfg] || document.getElementById(kind.cfg + '_script');
    if (!present || instances[kind.fn]) return;
    instances[kind.fn] = new Instance(kind);
    instances[kind.fn].install();
  });
})();
