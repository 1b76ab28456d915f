/* kommo-sandbox: the members Kommo's system Widget prototype gives every widget instance. */
define(['jquery', 'underscore', 'twigjs', 'lib/components/base/modal', 'host/app'], function ($, _, twigjs, Modal, host) {
  'use strict';
  var SB = window.KommoSandbox, ctx = SB.ctx;
  var loaded = {};

  // `{ref}` / `{data}` render at once; `{href, base_path, load}` fetches the file once and calls load(template).
  function render(tpl, params) {
    tpl = tpl || {};
    if (tpl.href) {
      var url = (tpl.base_path === undefined ? ctx.widget.path : tpl.base_path) + tpl.href;
      var done = function (template) { if (typeof tpl.load === 'function') tpl.load(template); };
      if (loaded[url]) { setTimeout(function () { done(loaded[url]); }, 0); return true; }
      twigjs({ id: url, href: url, async: true, load: function (t) { loaded[url] = t; done(t); },
        error: function (e) { console.error('[kommo-sandbox] template ' + url + ': ' + e); } });
      return true;
    }
    var template = tpl.ref ? twigjs({ ref: tpl.ref }) : twigjs({ data: tpl.data || '' });
    return template.render(params || {});
  }

  return function helpers(manifest, langs, settings, actions) {
    var code = settings.widget_code;
    return {
      langs: langs,
      ns: '.' + code,
      params: $.extend({ cdn_path: ctx.widget.path, path: ctx.widget.path }, settings),
      init_once: !!(manifest.widget && manifest.widget.init_once),
      helpers: { Modal: Modal },
      system: function () {
        return { area: ctx.area, amouser: ctx.user.login, amouser_id: ctx.user.id, amohash: ctx.user.api_key,
          subdomain: ctx.account.subdomain, domain: location.host, server: location.host, displayed_count: 1 };
      },
      i18n: function (key) { return this.langs[key] === undefined ? false : this.langs[key]; },
      set_lang: function (obj) { this.langs = obj; },
      get_settings: function () { return settings; },
      set_settings: function (obj) { $.extend(settings, obj); this.params = $.extend({ cdn_path: ctx.widget.path, path: ctx.widget.path }, settings); },
      get_version: function () { return (manifest.widget || {}).version; },
      get_install_status: function () { return settings.status; },
      set_status: function (s) { settings.status = s; SB.record('widget.set_status', [s]); },
      get_accounts_current: function () { return ctx.account; },
      render: render,
      render_template: function (opts, params) {
        opts = opts || {};
        var caption = opts.caption || {};
        var body = opts.render ? render({ data: opts.render }, params) : (opts.body || '');
        var name = (this.langs.widget && this.langs.widget.name) || code;
        var box = $('<div class="card-widgets__widget"></div>').attr('data-code', code).attr('id', code);
        var head = $('<div class="card-widgets__widget__caption"></div>').addClass(caption.class_name || '');
        head.append($('<span class="card-widgets__widget__caption__logo"></span>').append($('<img alt="">').attr('src', ctx.widget.path + '/images/logo_min.png').on('error', function () { $(this).remove(); })));
        head.append(caption.html ? $('<span class="card-widgets__widget__caption__text"></span>').html(caption.html) : $('<span class="card-widgets__widget__caption__text"></span>').text(name));
        box.append(head).append($('<div class="card-widgets__widget__body"></div>').html(body));
        $('#widgets_block [data-code="' + code + '"]').remove();
        $('#widgets_block').append(box);
        return box;
      },
      crm_post: function (url, data, success, dataType, error) {
        SB.record('widget.crm_post', [url, data]);
        return SB.api('POST', '/_sandbox/crm_post', { url: url, data: data || {} }).then(function (r) { if (success) success(r); }, function (e) { if (error) error(e); });
      },
      list_selected: function () {
        var sel = host.rows.filter(function (r) { return r.checked; }).map(function (r) { return { id: r.id, type: r.type, emails: r.emails || [], phones: r.phones || [] }; });
        return { count_selected: sel.length, selected: sel, summary: { items: sel.length } };
      },
      widgetsOverlay: function (on) { $('body').toggleClass('widgets-overlay', on !== false); },
      add_action: function (type, handler) { actions[type] = handler; SB.record('widget.add_action', [type]); },
      add_source: function (type, handler) { actions['source:' + type] = handler; SB.record('widget.add_source', [type]); },
      get_pipeline_id: function () { return Promise.resolve(ctx.pipeline_id || null); }
    };
  };
});
