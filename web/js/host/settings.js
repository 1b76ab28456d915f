/* kommo-sandbox: the widget settings modal, drawn from the manifest's `settings` with Kommo's
 * markup (`.widget_settings_block__item_field`, `.js-widget-save` / `.js-widget-install`), then
 * handed to the widget's `settings($modal_body)`. Save checks required fields, then onSave. */
define(['jquery', 'underscore', 'twigjs', 'lib/components/base/modal'], function ($, _, twigjs, Modal) {
  'use strict';
  var SB = window.KommoSandbox, ctx = SB.ctx;

  function lang(langs, dotted) {
    var v = String(dotted || '').split('.').reduce(function (o, k) { return o && o[k]; }, langs);
    return typeof v === 'string' ? v : dotted;
  }
  function shortTags(text) {
    return String(text || '').replace(/#SUBDOMAIN#/g, ctx.account.subdomain).replace(/#HOST#/g, location.host)
      .replace(/#LOGIN#/g, ctx.user.login).replace(/#ACCOUNT_ID#/g, ctx.account.id).replace(/#USER_ID#/g, ctx.user.id)
      .replace(/#TOP_LEVEL_DOMAIN#/g, 'com');
  }
  function control(name, p) { return twigjs({ ref: '/tmpl/controls/' + name + '.twig' }).render(p); }

  function field(code, f, langs, value) {
    var item = $('<div class="widget_settings_block__item_field"></div>').attr('data-field', code).attr('data-type', f.type);
    var title = lang(langs, f.name) + (f.required ? ' *' : '');
    item.append($('<div class="widget_settings_block__title_field"></div>').attr('title', title).text(title));
    var input = $('<div class="widget_settings_block__input_field"></div>');
    if (f.type === 'users' || f.type === 'users_lp') {
      var map = typeof value === 'string' ? safeJson(value) : (value || {});
      _.each(ctx.managers, function (m) {
        var row = $('<div class="widget_settings_block__user"></div>').attr('data-user', m.id);
        row.append($('<span class="widget_settings_block__user__name"></span>').text(m.title));
        var v = map[m.id] || {};
        if (f.type === 'users') row.append(control('input', { name: code + '[' + m.id + ']', value: typeof v === 'string' ? v : '', class_name: 'widget_settings_block__controls__' }));
        else row.append(control('input', { name: code + '[' + m.id + '][login]', value: v.login || '', placeholder: 'login' }) + control('input', { type: 'password', name: code + '[' + m.id + '][password]', value: v.password || '', placeholder: 'password' }));
        input.append(row);
      });
    } else if (f.type === 'custom') {
      item.addClass('widget_settings_block__item_field_custom').hide();
      input.append($('<input type="hidden">').attr('name', code).val(typeof value === 'object' ? JSON.stringify(value) : (value == null ? '' : value)));
    } else {
      input.append(control('input', { type: f.type === 'pass' ? 'password' : 'text', name: code, value: value == null ? '' : value,
        class_name: 'widget_settings_block__controls__', required: !!f.required }));
    }
    return item.append(input);
  }
  function safeJson(s) { try { return JSON.parse(s) || {}; } catch (e) { return {}; } }

  function collect($body, spec) {
    var fields = {};
    _.each(spec, function (f, code) {
      if (f.type === 'users' || f.type === 'users_lp') {
        var map = {};
        _.each(ctx.managers, function (m) {
          if (f.type === 'users') map[m.id] = $body.find('[name="' + code + '[' + m.id + ']"]').val() || '';
          else map[m.id] = { login: $body.find('[name="' + code + '[' + m.id + '][login]"]').val() || '', password: $body.find('[name="' + code + '[' + m.id + '][password]"]').val() || '' };
        });
        fields[code] = map;
      } else {
        fields[code] = $body.find('[name="' + code + '"]').val() || '';
      }
    });
    return fields;
  }

  // open(widget-facing callbacks): {manifest, langs, settings, call(name, args), saved(fields)}
  return function open(o) {
    var spec = o.manifest.settings || {}, w = o.manifest.widget || {};
    var installing = o.settings.status === 'install' || o.settings.status === 'not_configured';
    var modal = new Modal({
      class_name: 'modal-list widget-settings widget-settings-' + o.settings.widget_code,
      init: function ($body) {
        var block = $('<div class="widget_settings_block"></div>');
        var head = $('<div class="widget_settings_block__head"></div>');
        head.append($('<img class="widget_settings_block__logo" alt="">').attr('src', ctx.widget.path + '/images/logo_medium.png').on('error', function () { $(this).remove(); }));
        head.append($('<h2 class="widget_settings_block__name"></h2>').text(lang(o.langs, w.name)));
        head.append($('<div class="widget_settings_block__descr"></div>').html(shortTags(lang(o.langs, w.description))));
        var fields = $('<div class="widget_settings_block__fields" id="widget_settings__fields_wrapper"></div>');
        if (!installing) fields.append($('<div class="widget_settings_block__item_field widget_settings_block__switcher"></div>').html(control('switcher', { name: 'widget_active', checked: o.settings.active !== 'N', text: 'Active' })));
        _.each(spec, function (f, code) { fields.append(field(code, f, o.langs, o.settings[code])); });
        var controls = $('<div class="widget_settings_block__controls"></div>')
          .append(control('button', { text: installing ? 'Install' : 'Save', class_name: installing ? 'js-widget-install' : 'js-widget-save', blue: true }))
          .append(control('cancel_button', { text: 'Cancel', class_name: 'js-modal-cancel' }));
        block.append(head).append(fields).append(controls);
        $body.append(block);
        $body.on('click', '.js-widget-save, .js-widget-install', function () { save($body); });
      }
    });

    function save($body) {
      var fields = collect($body, spec);
      var missing = _.filter(_.keys(spec), function (code) { return spec[code].required && spec[code].type !== 'custom' && !fields[code]; });
      $body.find('.widget_settings_block__item_field').removeClass('validate-has-error');
      if (missing.length) {
        missing.forEach(function (code) { $body.find('[data-field="' + code + '"]').addClass('validate-has-error'); });
        SB.record('host.settings_invalid', [missing]);
        return;
      }
      var active = $body.find('[name="widget_active"]').length ? ($body.find('[name="widget_active"]').prop('checked') ? 'Y' : 'N') : 'Y';
      o.save({ active: active, fields: fields }, modal, installing);
    }
    return modal;
  };
});
