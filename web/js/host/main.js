/* kommo-sandbox: the widget host page. Draws the area (card, list, settings page), loads the
 * widget folder through RequireJS and runs its lifecycle; the toolbar drives the rest. A callback
 * that throws is shown on the page and recorded as `widget.error`; the toolbar stays bound. */
define(['jquery', 'underscore', 'host/app', 'host/widget', 'host/settings', 'host/page', 'host/notifications'],
function ($, _, host, helpers, openSettings, page, N) {
  'use strict';
  var SB = window.KommoSandbox, ctx = SB.ctx, APP = host.APP;
  var settings = $.extend({ widget_code: ctx.widget.code, path: ctx.widget.path, active: 'Y', status: ctx.widget.status || 'installed' }, ctx.widget.settings);
  var actions = {};
  window.sandboxActions = actions;
  window.sandboxLifecycle = [];

  function showError(text) {
    console.error('[kommo-sandbox] ' + text);
    $('#sandbox_errors').append($('<div class="sandbox-error"></div>').text(text));
  }

  function call(widget, name, args) {
    var fn = widget && widget.callbacks;
    name.split('.').forEach(function (p) { fn = fn && fn[p]; });
    var entry = { callback: name, called: typeof fn === 'function', result: undefined };
    window.sandboxLifecycle.push(entry);
    SB.record('widget.' + name, args || []);
    if (!entry.called) return undefined;
    try {
      entry.result = fn.apply(widget, args || []);
    } catch (e) {
      entry.error = String(e && e.message || e);
      SB.record('widget.error', [{ callback: name, message: entry.error, stack: String(e && e.stack || '') }]);
      showError(name + '() threw: ' + entry.error);
    }
    return entry.result;
  }

  function bindToolbar(getWidget, manifest, langs) {
    function save(config, modal, installing) {
      var r = call(getWidget(), 'onSave', [config]);
      return Promise.resolve(r).then(function (v) {
        window.sandboxLifecycle.push({ callback: 'onSave:resolved', result: v });
        if (v !== true) return;
        var w = getWidget();
        if (w) w.set_settings($.extend({}, config.fields, { active: config.active, status: 'installed' }));
        else $.extend(settings, config.fields);
        SB.record('host.settings_saved', [config]);
        if (installing) $(document).trigger('widget:' + settings.widget_code + ':installed');
        if (modal) modal.destroy();
      }, function (e) { showError('onSave rejected: ' + (e && e.message || e)); });
    }
    $('#host_settings').on('click', function () {
      var m = openSettings({ manifest: manifest, langs: langs, settings: settings, save: save });
      call(getWidget(), 'settings', [m.$modal_body]);
    });
    $('#host_save').on('click', function () { save({ active: 'Y', fields: settings }, null, false); });
    $('#host_list_action').on('click', function () { call(getWidget(), (host.AREA_ENTITY[ctx.area] || 'leads') + '.selected'); });
    $('#host_destroy').on('click', function () { call(getWidget(), 'destroy'); });
    $('#host_salesbot_save').on('click', function () {
      var params = page.salesbotParams();
      var r = call(getWidget(), 'onSalesbotDesignerSave', [settings.widget_code, params]);
      window.sandboxSalesbot = r;
      SB.record('host.salesbot_step', [r === undefined ? null : r]);
    });
  }

  // Callbacks Kommo runs on particular areas right after the common three.
  function areaCallbacks(widget) {
    if (ctx.area === 'advanced_settings') call(widget, 'advancedSettings');
    if (ctx.area === 'digital_pipeline') call(widget, 'dpSettings');
    if (ctx.area === 'widget_page') call(widget, 'initMenuPage', [{ location: 'widget_page', subitem_code: null }]);
    if (ctx.area === 'salesbot_designer') {
      var $body = $('#salesbot_designer_body');
      var r = call(widget, 'salesbotDesignerSettings', [$body, function (p) { return page.salesbotRow(p); }, {}]);
      window.sandboxSalesbotSettings = r === undefined ? null : r;
      page.salesbotExits(r);
    }
  }

  function boot(Ctor, manifest, langs) {
    if (typeof Ctor !== 'function') throw new Error('script.js must return the widget constructor, got ' + typeof Ctor);
    $.extend(Ctor.prototype, helpers(manifest, langs, settings, actions));
    var widget = new Ctor();
    if (!widget.langs) widget.langs = langs;
    window.sandboxWidget = widget;
    if (call(widget, 'render') === true) {
      call(widget, 'init');
      call(widget, 'bind_actions');
    }
    areaCallbacks(widget);
    document.body.setAttribute('data-widget-ready', 'true');
  }

  function json(url) { return fetch(url).then(function (r) { if (!r.ok) throw new Error(url + ': ' + r.status); return r.json(); }); }

  page.draw();
  json(ctx.widget.path + '/manifest.json').then(function (manifest) {
    var locales = (manifest.widget && manifest.widget.locale) || ['en'];
    var lang = locales.indexOf(ctx.lang_id) >= 0 ? ctx.lang_id : locales[0];
    // Kommo knows a widget by the manifest's code; the folder name only locates its files.
    if (manifest.widget && manifest.widget.code) settings.widget_code = manifest.widget.code;
    return json(ctx.widget.path + '/i18n/' + lang + '.json').catch(function () { return {}; }).then(function (langs) {
      bindToolbar(function () { return window.sandboxWidget; }, manifest, langs);
      page.widgetMeta(manifest, langs, settings.widget_code);
      require(['widgets/' + ctx.widget.code + '/script'], function (Ctor) {
        try { boot(Ctor, manifest, langs); } catch (e) { fail(e); }
      }, fail);
    });
  }).catch(fail);

  function fail(e) {
    var text = String(e && e.message || e);
    document.body.setAttribute('data-widget-error', text);
    SB.record('widget.error', [{ callback: 'load', message: text }]);
    showError(text);
    N.popup('show_message_error', 'kommo-sandbox', text);
  }
  return APP;
});
