/* kommo-sandbox: `APP.notifications`. show_* draw pop-ups only; add_call / add_error also persist
 * to the account's notification centre (every field the widget gave), then done(id) | fail(), then
 * always(). A click on a widget's persisted notification runs its addNotificationCallback. */
define(['jquery'], function ($) {
  'use strict';
  var SB = window.KommoSandbox, ctx = SB.ctx;
  var clickCallbacks = {};

  function popup(kind, header, text, extra) {
    var box = $('<div class="notification"></div>').attr('data-kind', kind);
    box.append($('<div class="notification__header"></div>').text(header || ''));
    box.append($('<div class="notification__text"></div>').html(text == null ? '' : String(text)));
    if (extra) box.append($('<div class="notification__extra"></div>').text(extra));
    box.append('<span class="notification__close icon icon-modal-close"></span>');
    box.on('click', '.notification__close', function (e) { e.stopPropagation(); box.remove(); });
    $('#notifications').append(box);
    return box;
  }

  function onClick(box, params) {
    box.on('click', function () {
      Object.keys(clickCallbacks).forEach(function (code) {
        SB.record('APP.addNotificationCallback:' + code, [params]);
        clickCallbacks[code](params);
      });
    });
  }

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

  function args(p, callbacks) { return callbacks ? [p, callbacks] : [p]; }

  return {
    addNotificationCallback: function (code, callback) {
      SB.record('APP.addNotificationCallback', [code, callback]);
      if (typeof callback === 'function') clickCallbacks[code] = callback;
    },
    notifications: {
      show_message: function (p) {
        SB.record('APP.notifications.show_message', [p]);
        popup('show_message', p && p.header, p && p.text).attr('data-icon', (p && p.icon) || '/frontend/images/robot.png');
      },
      show_message_error: function (p, callbacks) {
        SB.record('APP.notifications.show_message_error', args(p, callbacks));
        var box = popup('show_message_error', p && p.header, p && p.text);
        if (p && p.link) box.on('click', function () { window.open(p.link, '_blank'); });
      },
      show_notification: function (p) {
        SB.record('APP.notifications.show_notification', [p]);
        var t = (p && p.text) || {};
        popup('show_notification', t.header, t.text).attr('data-type', p && p.type);
      },
      add_error: function (p, callbacks) {
        SB.record('APP.notifications.add_error', args(p, callbacks));
        onClick(popup('error', p && p.header, p && p.text), p);
        return persist('error', p || {}, callbacks);
      },
      add_call: function (p, callbacks) {
        SB.record('APP.notifications.add_call', args(p, callbacks));
        if (!p || !p.text) console.error('[kommo-sandbox] add_call: `text` is required');
        var who = [p && p.from, p && p.to].filter(Boolean).join(' → ');
        var box = popup('call', 'Call' + (who ? ': ' + who : ''), p && p.text, p && p.duration ? p.duration + ' s' : '');
        if (p && p.link) box.append($('<a class="notification__link" target="_blank"></a>').attr('href', p.link).text('Recording'));
        onClick(box, p);
        return persist('call', p || {}, callbacks);
      }
    },
    popup: popup
  };
});
