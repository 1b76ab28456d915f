/* kommo-sandbox: `APP` (alias `AMOCRM`), built from the sandbox state the page was served with. */
define(['jquery', 'underscore', 'backbone', 'host/notifications', 'lodash'], function ($, _, Backbone, N) {
  'use strict';
  // Kommo's pages have these as globals too, and widgets use them without importing. lodash, loaded
  // first above, claims `_` for itself; Kommo's `_` is underscore.
  window._ = _;
  window.Backbone = Backbone;
  var SB = window.KommoSandbox, ctx = SB.ctx;
  var constants = { user: ctx.user, account: ctx.account, managers: ctx.managers, groups: ctx.groups, task_types: ctx.task_types,
    user_rights: { is_admin: true, is_free_user: false }, version: 'sandbox', server: location.host };
  // What getWidgetsArea() answers per area (Kommo's page codes) and the entity each area is about.
  var AREA_PAGE = { lcard: 'leads', llist: 'leads', ccard: 'contacts', clist: 'contacts', comcard: 'companies', cucard: 'customers',
    culist: 'customers', tlist: 'todo', settings: 'widgetsSettings', advanced_settings: 'settings', widget_page: 'widget_page',
    digital_pipeline: 'leads-dp', salesbot_designer: 'salesbot', everywhere: 'dashboard', card_sdk: 'leads', lead_sources: 'leads',
    whatsapp_modal: 'chats', website_chat_button: 'settings', catalogs: 'catalogs', sms: 'settings', mobile_card: 'leads', ai_agent: 'settings' };
  var AREA_ENTITY = { lcard: 'leads', llist: 'leads', ccard: 'contacts', clist: 'contacts', comcard: 'companies', cucard: 'customers',
    culist: 'customers', tlist: 'todo' };

  var rows = (ctx.list || []).map(function (r) { return $.extend({ checked: false }, r); });
  var cardModel = ctx.card ? new Backbone.Model($.extend({ id: ctx.card.id, name: ctx.card.name }, ctx.card.fields || {})) : null;

  // Calls the host page makes for widgets are recorded like the widget's own (`APP.<member>`).
  var widgets = {
    notificationsPhone: function (p) {
      SB.record('APP.widgets.notificationsPhone', [p]);
      var b = $('<button type="button" class="notifications-phone"></button>').attr('data-ns', p.ns).text('☎');
      b.on('click', function (e) { if (p.click) p.click(e); });
      $('#notifications_phone').append(b);
    },
    destroyNotificationsPhone: function (p) {
      SB.record('APP.widgets.destroyNotificationsPhone', [p]);
      $('#notifications_phone [data-ns="' + p.ns + '"]').remove();
    },
    // Kommo refetches the widgets list; the sandbox serves files fresh on every request already.
    clear_cache: function () { SB.record('APP.widgets.clear_cache', []); return $.Deferred().resolve().promise(); },
    list: {}
  };

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
    setCallingStatus: function (status) { SB.record('APP.sdk.setCallingStatus', [status]); SB.apiSync('POST', '/calling_status', { status: !!status }); },
    getCallingStatus: function () { SB.record('APP.sdk.getCallingStatus', []); return SB.apiSync('GET', '/calling_status').status; },
    // The spelling a third-party summary gives; tolerated, recorded under its own name.
    setCallStatus: function (s) { SB.record('APP.sdk.setCallStatus', [s]); SB.apiSync('POST', '/calling_status', { status: !!s && s !== 'disconnected' }); }
  };

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
      current_entity: AREA_ENTITY[ctx.area] || null,
      current_view: { $el: $('#page_holder') },
      current_card: ctx.card ? { id: ctx.card.id, element_type: ctx.card.element_type, model: cardModel, $el: $('#card_holder') } : false,
      current_list: ctx.list ? { models: rows, length: rows.length, each: function (f) { rows.forEach(f); }, $el: $('#list_holder') } : undefined
    },
    notifications: N.notifications,
    addNotificationCallback: N.addNotificationCallback,
    sdk: sdk,
    widgets: widgets,
    environment: 'sandbox',
    router: { navigate: function (url) { SB.record('APP.router.navigate', [url]); } }
  };
  window.APP = window.AMOCRM = APP;

  // A failed $.ajax without an error handler stays a failed request, as in Kommo: logged, recorded, no page error.
  $(document).ajaxError(function (event, xhr, settings) {
    var text = settings.type + ' ' + settings.url + ' → ' + xhr.status;
    console.warn('[kommo-sandbox] ajax failed: ' + text);
    SB.record('host.ajax_error', [{ method: settings.type, url: settings.url, status: xhr.status }]);
  });

  return { APP: APP, rows: rows, AREA_ENTITY: AREA_ENTITY, AREA_PAGE: AREA_PAGE };
});
