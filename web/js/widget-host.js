/* kommo-sandbox: the emulated Kommo interface. Builds `APP` (alias `AMOCRM`) from the sandbox
 * state, provides the AMD modules widgets import, loads the widget folder and runs its lifecycle. */
(function () {
  'use strict';
  var SB = window.KommoSandbox, ctx = SB.ctx, $ = window.jQuery;
  var constants = { user: ctx.user, account: ctx.account, managers: ctx.managers, groups: ctx.groups, task_types: ctx.task_types, user_rights: { is_admin: true } };
  var AREA_PAGE = { lcard: 'leads', llist: 'leads', ccard: 'contacts', clist: 'contacts', comcard: 'companies', cucard: 'customers', settings: 'settings', everywhere: 'dashboard', card_sdk: 'leads' };
  var AREA_ENTITY = { lcard: 'leads', llist: 'leads', ccard: 'contacts', clist: 'contacts', comcard: 'companies', cucard: 'customers' };
  window.sandboxLifecycle = [];

  // ---- pop-ups -----------------------------------------------------------------------------
  function popup(kind, header, text, extra) {
    var box = $('<div class="notification"></div>').attr('data-kind', kind);
    box.append($('<div class="notification__header"></div>').text(header || ''));
    box.append($('<div class="notification__text"></div>').html(text || ''));
    if (extra) box.append($('<div class="notification__extra"></div>').text(extra));
    $('#notifications').append(box);
    return box;
  }
  function text(t) { return t == null ? '' : String(t); }

  // add_call/add_error persist like Kommo's AJAX, then done|fail and always.
  function persist(kind, params, callbacks) {
    callbacks = callbacks || {};
    return SB.api('POST', '/notifications', { kind: kind, params: params, user_id: ctx.user.id }).then(function (r) {
      if (typeof callbacks.done === 'function') callbacks.done(r.id);
    }, function (e) {
      if (typeof callbacks.fail === 'function') callbacks.fail(e);
    }).then(function () {
      if (typeof callbacks.always === 'function') callbacks.always();
    });
  }

  var notifications = {
    show_message: function (p) {
      SB.record('APP.notifications.show_message', [p]);
      popup('show_message', p && p.header, p && p.text).attr('data-icon', (p && p.icon) || '/frontend/images/robot.png');
    },
    show_message_error: function (p, callbacks) {
      SB.record('APP.notifications.show_message_error', callbacks ? [p, callbacks] : [p]);
      var box = popup('show_message_error', p && p.header, p && p.text);
      if (p && p.link) box.on('click', function () { window.open(p.link, '_blank'); });
    },
    show_notification: function (p) {
      SB.record('APP.notifications.show_notification', [p]);
      var t = (p && p.text) || {};
      popup('show_notification', t.header, t.text).attr('data-type', p && p.type);
    },
    add_error: function (p, callbacks) {
      SB.record('APP.notifications.add_error', callbacks ? [p, callbacks] : [p]);
      popup('error', p && p.header, p && p.text);
      return persist('error', p || {}, callbacks);
    },
    add_call: function (p, callbacks) {
      SB.record('APP.notifications.add_call', callbacks ? [p, callbacks] : [p]);
      if (!p || !p.text) console.error('[kommo-sandbox] add_call: `text` is required');
      var who = [p && p.from, p && p.to].filter(Boolean).join(' → ');
      popup('call', 'Call' + (who ? ': ' + who : ''), text(p && p.text), p && p.duration ? p.duration + ' s' : '');
      return persist('call', p || {}, callbacks);
    }
  };

  // showUserStatus(): {id: {id, online}}; ('online'): [ids]; (id): bool; anything else falls back to the full map.
  function showUserStatus(arg) {
    SB.record('APP.sdk.showUserStatus', arg === undefined ? [] : [arg]);
    var users = SB.apiSync('GET', '/users').users, all = {};
    users.forEach(function (u) { all[u.id] = { id: u.id, online: u.online }; });
    if (arg === 'online') return users.filter(function (u) { return u.online; }).map(function (u) { return u.id; });
    if (arg !== undefined && all[arg]) return all[arg].online;
    return all;
  }

  var sdk = {
    showUserStatus: showUserStatus,
    setCallingStatus: function (status) {
      SB.record('APP.sdk.setCallingStatus', [status]);
      SB.apiSync('POST', '/calling_status', { status: !!status });
    },
    getCallingStatus: function () {
      SB.record('APP.sdk.getCallingStatus', []);
      return SB.apiSync('GET', '/calling_status').status;
    }
  };
  // The spelling a third-party summary gives; tolerated, recorded under its own name.
  sdk.setCallStatus = function (s) { SB.record('APP.sdk.setCallStatus', [s]); SB.apiSync('POST', '/calling_status', { status: !!s && s !== 'disconnected' }); };

  function model(attrs) {
    return { attributes: attrs, get: function (k) { return attrs[k]; }, set: function (k, v) { attrs[k] = v; }, toJSON: function () { return attrs; } };
  }
  var listRows = (ctx.list || []).map(function (r) { return $.extend({ checked: false }, r); });
  var APP = {
    lang_id: ctx.lang_id,
    constant: function (key, value) {
      if (value !== undefined) { constants[key] = value; return value; }
      return Object.prototype.hasOwnProperty.call(constants, key) ? constants[key] : false;
    },
    getBaseEntity: function () { return AREA_ENTITY[ctx.area] || AREA_PAGE[ctx.area] || 'leads'; },
    isCard: function () { return !!ctx.card; },
    getWidgetsArea: function () { return AREA_PAGE[ctx.area] || ctx.area; },
    data: {
      current_view: { $el: $('#page_holder') },
      current_card: ctx.card ? { id: ctx.card.id, element_type: ctx.card.element_type, model: model({ id: ctx.card.id, name: ctx.card.name }), $el: $('#page_holder') } : false,
      current_list: ctx.list ? { models: listRows, length: listRows.length, each: function (f) { listRows.forEach(f); } } : undefined
    },
    notifications: notifications,
    sdk: sdk,
    widgets: {
      notificationsPhone: function (p) {
        SB.record('APP.widgets.notificationsPhone', [p]);
        var b = $('<button type="button" class="notifications-phone"></button>').attr('data-ns', p.ns).text('☎');
        b.on('click', function (e) { if (p.click) p.click(e); });
        $('#notifications_phone').append(b);
      },
      destroyNotificationsPhone: function (p) {
        SB.record('APP.widgets.destroyNotificationsPhone', [p]);
        $('#notifications_phone [data-ns="' + p.ns + '"]').remove();
      }
    },
    environment: 'sandbox'
  };
  window.APP = window.AMOCRM = APP;

  // ---- modules widgets import -------------------------------------------------------------------
  function twigRender(source, params) {
    return String(source).replace(/\{\{\s*([\w.]+)\s*\}\}/g, function (_, path) {
      var v = path.split('.').reduce(function (o, k) { return o == null ? o : o[k]; }, params || {});
      return v == null ? '' : String(v).replace(/[&<>"]/g, function (c) { return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]; });
    });
  }
  var CONTROLS = {
    button: '<button type="button" class="button-input {{class_name}}" id="{{id}}"><span class="button-input-inner__text">{{text}}</span></button>',
    input: '<input type="{{type}}" class="text-input {{class_name}}" name="{{name}}" id="{{id}}" value="{{value}}" placeholder="{{placeholder}}">',
    textarea: '<textarea class="textarea {{class_name}}" name="{{name}}" id="{{id}}" placeholder="{{placeholder}}">{{value}}</textarea>',
    checkbox: '<label class="control-checkbox {{class_name}}"><input type="checkbox" name="{{name}}" id="{{id}}" value="{{value}}"> {{text}}</label>'
  };
  function selectControl(p) {
    var items = (p.items || []).map(function (i) { return '<option value="' + twigRender('{{v}}', { v: i.id }) + '"' + (i.id === p.selected ? ' selected' : '') + '>' + twigRender('{{v}}', { v: i.option }) + '</option>'; });
    return '<select class="control--select {{class_name}}" name="' + twigRender('{{n}}', { n: p.name }) + '">' + items.join('') + '</select>';
  }
  function Template(source) { this.source = source; }
  Template.prototype.render = function (params) {
    var m = /^\/tmpl\/controls\/(\w+)\.twig$/.exec(this.source.ref || '');
    if (m && m[1] === 'select') return twigRender(selectControl(params || {}), params);
    if (m) return twigRender(CONTROLS[m[1]] || '', params);
    return twigRender(this.source.data || '', params);
  };
  var twigjs = { twig: function (opts) { return new Template(opts); } };

  function Modal(opts) {
    opts = opts || {};
    var self = this;
    this.$modal = $('<div class="modal"><div class="modal-body"></div></div>').addClass(opts.class_name || '');
    $('body').append(this.$modal);
    this.$modal_body = this.$modal.find('.modal-body');
    this.destroy = function () { if (opts.destroy) opts.destroy(); self.$modal.remove(); };
    if (opts.init) opts.init(this.$modal_body);
  }
  var underscore = {
    each: function (o, f) { $.each(o, function (k, v) { f(v, k); }); },
    map: function (o, f) { return Array.isArray(o) ? o.map(f) : Object.keys(o).map(function (k) { return f(o[k], k); }); },
    filter: function (a, f) { return (a || []).filter(f); },
    find: function (a, f) { return (a || []).find(f); },
    keys: Object.keys,
    values: function (o) { return Object.keys(o).map(function (k) { return o[k]; }); },
    extend: $.extend,
    isEmpty: function (o) { return o == null || (Array.isArray(o) ? o.length === 0 : Object.keys(o).length === 0); },
    isFunction: $.isFunction,
    bind: function (f, ctx) { return f.bind(ctx); },
    debounce: function (f, ms) { var t; return function () { var a = arguments, c = this; clearTimeout(t); t = setTimeout(function () { f.apply(c, a); }, ms); }; }
  };
  require.config({ baseUrl: ctx.widget.path });
  require.provide('jquery', $);
  require.provide('underscore', underscore);
  require.provide('lodash', underscore);
  require.provide('twigjs', twigjs);
  require.provide('lib/components/base/modal', Modal);

  // ---- the widget instance's helpers (Kommo's system Widget prototype) -------------------------
  var settings = $.extend({ widget_code: ctx.widget.code, path: ctx.widget.path, active: 'Y', status: 'installed' }, ctx.widget.settings);
  function helpers(manifest, langs) {
    return {
      langs: langs,
      params: $.extend({ cdn_path: ctx.widget.path }, settings),
      system: function () {
        return { area: ctx.area, amouser: ctx.user.login, amouser_id: ctx.user.id, amohash: ctx.user.api_key, subdomain: ctx.account.subdomain, domain: location.host, server: location.host };
      },
      i18n: function (key) { return this.langs[key]; },
      set_lang: function (obj) { this.langs = obj; },
      get_settings: function () { return settings; },
      set_settings: function (obj) { $.extend(settings, obj); this.params = $.extend({ cdn_path: ctx.widget.path }, settings); },
      get_version: function () { return (manifest.widget || {}).version; },
      get_install_status: function () { return settings.status; },
      set_status: function (s) { settings.status = s; SB.record('widget.set_status', [s]); },
      get_accounts_current: function () { return ctx.account; },
      render: function (tpl, params) {
        if (tpl && tpl.href && tpl.load) {
          fetch((tpl.base_path || ctx.widget.path) + tpl.href).then(function (r) { return r.text(); }).then(function (src) { tpl.load(new Template({ data: src })); });
          return '';
        }
        return new Template(tpl || {}).render(params);
      },
      render_template: function (opts, params) {
        var caption = (opts && opts.caption) || {};
        var body = opts.render ? new Template({ data: opts.render }).render(params) : (opts.body || '');
        var box = $('<div class="card-widgets__widget"></div>').attr('data-code', ctx.widget.code);
        box.append($('<div class="card-widgets__widget__caption"></div>').addClass(caption.class_name || '').html(caption.html || this.langs.widget && this.langs.widget.name || ctx.widget.code));
        box.append($('<div class="card-widgets__widget__body"></div>').html(body));
        $('#widgets_block').append(box);
        return box;
      },
      crm_post: function (url, data, success, dataType, error) {
        SB.record('widget.crm_post', [url, data]);
        return SB.api('POST', '/_sandbox/crm_post', { url: url, data: data || {} }).then(function (r) { if (success) success(r); }, function (e) { if (error) error(e); });
      },
      list_selected: function () {
        var sel = listRows.filter(function (r) { return r.checked; }).map(function (r) { return { id: r.id, type: r.type, emails: r.emails || [], phones: r.phones || [] }; });
        return { count_selected: sel.length, selected: sel };
      },
      widgetsOverlay: function (on) { $('body').toggleClass('widgets-overlay', !!on); },
      add_action: function (type, handler) { actions[type] = handler; SB.record('widget.add_action', [type]); },
      add_source: function (type, handler) { actions['source:' + type] = handler; SB.record('widget.add_source', [type]); },
      get_pipeline_id: function () { return Promise.resolve(ctx.pipeline_id || null); }
    };
  }
  var actions = {};
  window.sandboxActions = actions;

  // ---- lifecycle ---------------------------------------------------------------------------------
  function call(widget, name, args) {
    var path = name.split('.'), fn = widget.callbacks;
    path.forEach(function (p) { fn = fn && fn[p]; });
    var entry = { callback: name, called: typeof fn === 'function', result: undefined };
    window.sandboxLifecycle.push(entry);
    SB.record('widget.' + name, args || []);
    if (entry.called) entry.result = fn.apply(widget, args || []);
    return entry.result;
  }

  function drawList() {
    if (!ctx.list) return;
    listRows.forEach(function (r) {
      var row = $('<label class="list-row"><input type="checkbox"> </label>').attr('data-id', r.id);
      row.append(document.createTextNode(r.name));
      row.find('input').on('change', function () { r.checked = this.checked; });
      $('#list_holder').append(row).append('<br>');
    });
  }

  function boot(Ctor, manifest, langs) {
    $.extend(Ctor.prototype, helpers(manifest, langs));
    var widget = new Ctor();
    if (!widget.langs) widget.langs = langs;
    window.sandboxWidget = widget;
    if (call(widget, 'render') === true) { call(widget, 'init'); call(widget, 'bind_actions'); }
    // onSave may return true or a Promise; Kommo closes the settings modal once it is saved.
    function save(modal) {
      var r = call(widget, 'onSave', [{ active: 'Y', fields: settings }]);
      return Promise.resolve(r).then(function (v) {
        window.sandboxLifecycle.push({ callback: 'onSave:resolved', result: v });
        if (v === true && modal) modal.destroy();
      });
    }
    $('#host_settings').on('click', function () {
      var m = new Modal({ class_name: 'widget-settings' });
      m.$modal_body.append('<div class="widget_settings_block"></div><button type="button" class="button-input js-widget-save">Save</button>');
      m.$modal_body.find('.js-widget-save').on('click', function () { save(m); });
      call(widget, 'settings', [m.$modal_body]);
    });
    $('#host_save').on('click', function () { save(null); });
    $('#host_list_action').on('click', function () { call(widget, (AREA_ENTITY[ctx.area] || 'leads') + '.selected'); });
    $('#host_destroy').on('click', function () { call(widget, 'destroy'); });
    document.body.setAttribute('data-widget-ready', 'true');
  }

  function json(url) { return fetch(url).then(function (r) { if (!r.ok) throw new Error(url + ': ' + r.status); return r.json(); }); }

  $('#card_name').text(ctx.card ? ctx.card.name || 'New lead' : APP.getWidgetsArea());
  drawList();
  json(ctx.widget.path + '/manifest.json').then(function (manifest) {
    var locales = (manifest.widget && manifest.widget.locale) || ['en'];
    var lang = locales.indexOf(ctx.lang_id) >= 0 ? ctx.lang_id : locales[0];
    return json(ctx.widget.path + '/i18n/' + lang + '.json').catch(function () { return {}; }).then(function (langs) {
      return require(['./script.js']).then(function (mods) { boot(mods[0], manifest, langs); });
    });
  }).catch(function (e) {
    document.body.setAttribute('data-widget-error', e.message);
    popup('show_message_error', 'kommo-sandbox', e.message);
  });
})();
