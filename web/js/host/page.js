/* kommo-sandbox: what the host page shows around the widget: the left menu, a card (fields
 * column, feed, widgets column), a list, or a settings / widget page, and Kommo's controls'
 * behaviour (the select drop-down, checkboxes, switchers). */
define(['jquery', 'underscore', 'host/app'], function ($, _, host) {
  'use strict';
  var SB = window.KommoSandbox, ctx = SB.ctx;
  var CARD_AREAS = ['lcard', 'ccard', 'comcard', 'cucard', 'card_sdk', 'mobile_card'];
  var LIST_AREAS = ['llist', 'clist', 'culist', 'tlist'];
  var MENU = [['dashboard', 'Dashboard'], ['leads', 'Leads'], ['chats', 'Chats'], ['todo', 'Tasks'], ['contacts', 'Lists'],
    ['mail', 'Mail'], ['stats', 'Stats'], ['settings', 'Settings']];

  function menu() {
    var current = host.APP.getBaseEntity(), $m = $('#left_menu');
    MENU.forEach(function (m) {
      var item = $('<a class="nav__menu__item" href="#"></a>').attr('data-entity', m[0]).toggleClass('nav__menu__item-selected', m[0] === current || (m[0] === 'settings' && /settings/.test(ctx.area)));
      item.append($('<span class="nav__menu__item__icon"></span>').text(m[1].charAt(0))).append($('<span class="nav__menu__item__title"></span>').text(m[1]));
      $m.append(item);
    });
  }

  function card() {
    var c = ctx.card, $f = $('#card_fields');
    $('#card_name').text(c.name || (c.id ? 'Card #' + c.id : 'New ' + ({ 1: 'contact', 2: 'lead', 3: 'company', 12: 'customer' }[c.element_type] || 'card')));
    if (c.status) $('#card_status').text(c.status);
    var rows = [['Responsible user', ctx.user.name]].concat((c.fields || []).map(function (f) { return [f.name, f.value]; }));
    rows.forEach(function (r) {
      var row = $('<div class="linked-form__field"></div>');
      row.append($('<div class="linked-form__field__label"></div>').text(r[0])).append($('<div class="linked-form__field__value"></div>').text(r[1] == null ? '' : r[1]));
      $f.append(row);
    });
    $('#card_feed').append($('<div class="feed-note feed-note-system"></div>').text(c.id ? 'Card #' + c.id + ' opened by ' + ctx.user.name : 'A new card: save it to get an id'));
  }

  function list() {
    var $t = $('#list_rows');
    $('#list_title').text({ llist: 'Leads', clist: 'Contacts', culist: 'Customers', tlist: 'Tasks' }[ctx.area] || 'List');
    $('#list_count').text(host.rows.length + ' items');
    host.rows.forEach(function (r) {
      var row = $('<tr class="list-row js-list-row"></tr>').attr('data-id', r.id);
      var box = $('<label class="control-checkbox list-row__checkbox"><div class="control-checkbox__body"><input type="checkbox"><span class="control-checkbox__helper"></span></div></label>');
      box.find('input').on('change', function () { r.checked = this.checked; row.toggleClass('list-row-selected', this.checked); $('#list_selected').text(host.rows.filter(function (x) { return x.checked; }).length + ' selected'); });
      row.append($('<td class="list-row__cell list-row__cell-check"></td>').append(box));
      row.append($('<td class="list-row__cell list-row__cell-name"></td>').text(r.name));
      row.append($('<td class="list-row__cell"></td>').text((r.phones || []).join(', ')));
      $t.append(row);
    });
  }

  function workArea() {
    var code = ctx.widget.code;
    $('#work_area').append($('<div class="list__body-right__top"></div>'))
      .append($('<div class="content__top__preset"></div>'))
      .append($('<div class="work-area-widget"></div>').attr('id', 'work-area-' + code));
    // The id becomes the manifest's code once the manifest is read (widgetMeta).
    if (ctx.area === 'salesbot_designer') $('body').addClass('host-salesbot');
  }

  // Kommo's controls behave without the widget wiring them: the select opens, picks, fires change.
  function controls() {
    $(document).on('click', '.control--select--button', function (e) {
      e.preventDefault();
      $(this).closest('.control--select').toggleClass('control--select-opened');
    });
    $(document).on('click', '.control--select--list--item', function () {
      var $item = $(this), $sel = $item.closest('.control--select');
      $sel.find('.control--select--list--item').removeClass('control--select--list--item-selected');
      $item.addClass('control--select--list--item-selected');
      $sel.find('.control--select--button').attr('data-value', $item.attr('data-value')).find('.control--select--button-inner').text($item.text());
      $sel.find('.control--select--input').val($item.attr('data-value')).trigger('change');
      $sel.removeClass('control--select-opened');
    });
    $(document).on('change', '.control-checkbox input[type=checkbox]', function () { $(this).closest('.control-checkbox').toggleClass('is-checked', this.checked); });
    $(document).on('change', '.switcher__checkbox', function () { $(this).siblings('.switcher').toggleClass('switcher__on', this.checked).toggleClass('switcher__off', !this.checked); });
  }

  return {
    draw: function () {
      $('body').attr('data-area', ctx.area);
      $('#sandbox_area').text(ctx.area);
      menu();
      if (ctx.card) { $('body').addClass('host-card'); card(); }
      else if (LIST_AREAS.indexOf(ctx.area) >= 0) { $('body').addClass('host-list'); list(); }
      else { $('body').addClass('host-work'); workArea(); }
      if (CARD_AREAS.indexOf(ctx.area) < 0 && LIST_AREAS.indexOf(ctx.area) < 0) $('body').addClass('sandbox-no-card');
      controls();
    },
    widgetMeta: function (manifest, langs, code) {
      $('.work-area-widget').attr('id', 'work-area-' + code);
      var name = (langs.widget && langs.widget.name) || ctx.widget.code;
      $('#sandbox_widget').text(name);
      document.title = name + ' · kommo-sandbox';
    },
    salesbotRow: function (p) { return $('<div class="salesbot-row"></div>').text(p && p.title || ''); },
    salesbotExits: function (r) {
      ((r && r.exits) || []).forEach(function (x) { $('#salesbot_exits').append($('<li class="salesbot-exit"></li>').attr('data-code', x.code).text(x.title)); });
    },
    salesbotParams: function () {
      var params = {};
      $('#salesbot_designer_body').find('input[name], textarea[name], select[name]').each(function () { params[this.name] = $(this).val(); });
      return params;
    }
  };
});
