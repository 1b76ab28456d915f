// An example VoIP widget: on render it draws a panel; "Simulate call" raises APP.notifications.add_call
// with the documented fields; when its PBX server is not configured it raises add_error with callbacks.
define(['jquery', 'lib/components/base/modal'], function ($, Modal) {
  var CustomWidget = function () {
    var self = this;

    self.add_call_notify = function (mess) {
      var n_data = {
        from: mess.from,
        to: mess.to,
        duration: mess.duration,
        link: mess.link,
        text: self.i18n('widget').name + ': ' + mess.text,
        date: Math.ceil(Date.now() / 1000)
      };
      if (mess.element && mess.element.id && mess.element.type) n_data.element = mess.element;
      APP.notifications.add_call(n_data);
    };

    self.report_error = function (text) {
      var callbacks = {
        done: function (id) { window.voipErrorResult = { outcome: 'done', id: id }; },
        fail: function () { window.voipErrorResult = { outcome: 'fail' }; },
        always: function () { window.voipErrorAlways = true; }
      };
      APP.notifications.add_error({ header: self.get_settings().widget_code, text: '<p>' + text + '</p>', date: Math.ceil(Date.now() / 1000) }, callbacks);
    };

    this.callbacks = {
      render: function () {
        var card = APP.data.current_card;
        self.render_template({
          caption: { class_name: 'voip-caption' },
          body: '',
          render: '<div class="voip-panel">{{ user }} · {{ area }}</div>' +
            self.render({ ref: '/tmpl/controls/button.twig' }, { id: 'voip_call', text: self.i18n('userLang').call })
        }, { user: APP.constant('user').name, area: self.system().area + (card ? ' #' + card.id : '') });
        return true;
      },
      init: function () {
        APP.widgets.notificationsPhone({ ns: 'voip', click: function () { $('#voip_call').trigger('click'); } });
        if (!self.get_settings().server) self.report_error(self.i18n('settings').no_server);
        return true;
      },
      bind_actions: function () {
        $('#voip_call').on('click', function () {
          var card = APP.data.current_card;
          self.add_call_notify({
            from: '+7 (999) 111 22 33', to: APP.constant('user').name, duration: 65,
            link: 'https://example.com/dialog.mp3', text: self.i18n('settings').incoming,
            element: card && card.id ? { id: card.id, type: 'lead' } : undefined
          });
        });
        return true;
      },
      settings: function ($modal_body) {
        $modal_body.find('.widget_settings_block').append('<p class="voip-settings">' + self.i18n('settings').server + '</p>');
        return true;
      },
      onSave: function (config) {
        self.set_settings({ server: config.fields.server || 'pbx.example.com' });
        return Promise.resolve(true);
      },
      destroy: function () {
        APP.widgets.destroyNotificationsPhone({ ns: 'voip' });
      },
      leads: {
        selected: function () {
          var s = self.list_selected();
          APP.notifications.show_message({ header: self.i18n('widget').name, text: s.count_selected + ' selected' });
        }
      }
    };
    return this;
  };
  return CustomWidget;
});
