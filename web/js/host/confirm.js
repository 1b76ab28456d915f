/* kommo-sandbox: `lib/components/base/confirm`, Kommo's yes/no modal:
 * `new Confirm({text, accept_text, decline_text, accept(), decline()})`. */
define(['jquery', 'lib/components/base/modal'], function ($, Modal) {
  'use strict';
  return function Confirm(options) {
    var o = $.extend({ text: '', accept_text: 'Confirm', decline_text: 'Cancel', accept: $.noop, decline: $.noop }, options);
    return new Modal({
      class_name: 'modal-confirm ' + (o.class_name || ''),
      init: function ($body) {
        var modal = this;
        $body.append($('<div class="modal-body__inner"></div>').html(o.text))
          .append('<div class="modal-body__actions"><button type="button" class="button-input button-input_blue js-modal-accept"><span class="button-input-inner__text"></span></button>' +
            '<button type="button" class="button-input button-cancel js-modal-decline"><span class="button-input-inner__text"></span></button></div>');
        $body.find('.js-modal-accept .button-input-inner__text').text(o.accept_text);
        $body.find('.js-modal-decline .button-input-inner__text').text(o.decline_text);
        $body.on('click', '.js-modal-accept', function () { o.accept(); modal.destroy(); });
        $body.on('click', '.js-modal-decline', function () { o.decline(); modal.destroy(); });
      }
    });
  };
});
