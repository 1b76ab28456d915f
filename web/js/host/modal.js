/* kommo-sandbox: `lib/components/base/modal`, Kommo's modal window. `new Modal({class_name,
 * init($modal_body), destroy()})`; the close icon, Esc and a click on the overlay close it (the
 * topmost one for Esc), `destroy` returning false keeps it open. The events Kommo's modal listens to
 * on its body (`modal:loaded`, `modal:centrify`, `modal:close`) work too. */
define(['jquery'], function ($) {
  'use strict';
  var open = [];

  function Modal(options) {
    var self = this;
    this.options = $.extend({ class_name: '', init: $.noop, destroy: $.noop, disable_overlay_click: false, disable_escape_keydown: false }, options);
    this.$modal = $('<div class="modal"><div class="modal-overlay"></div><div class="modal-scroller custom-scroll">' +
      '<div class="modal-body"></div></div></div>').addClass(this.options.class_name);
    this.$modal_body = this.$modal.find('.modal-body');
    this.$modal_body.append('<span class="modal-body__close"><span class="icon icon-modal-close"></span></span>');
    this.$modal.on('click', '.modal-body__close, .js-modal-close, .js-modal-cancel', function (e) { e.preventDefault(); self.destroy(); });
    this.$modal.on('click', function (e) {
      var outside = e.target === self.$modal[0] || $(e.target).is('.modal-overlay, .modal-scroller');
      if (outside && !self.options.disable_overlay_click) self.destroy();
    });
    this.$modal_body.on('modal:close', function () { self.destroy(); });
    this.$modal_body.on('modal:loaded', function () { self.$modal.addClass('modal-loaded'); });
    this.$modal_body.on('modal:centrify', function () { self.$modal.addClass('modal-centrified'); });
    $('body').append(this.$modal).addClass('page-modal-opened');
    open.push(this);
    this.options.init.call(this, this.$modal_body);
  }

  Modal.prototype.destroy = function () {
    if (this.destroyed) return;
    if (this.options.destroy.call(this) === false) return;
    this.destroyed = true;
    this.$modal.remove();
    open.splice(open.indexOf(this), 1);
    if (!open.length) $('body').removeClass('page-modal-opened');
  };
  Modal.prototype.showLoader = function () { this.$modal_body.addClass('modal-body-loading'); };
  Modal.prototype.hideLoader = function () { this.$modal_body.removeClass('modal-body-loading'); };

  $(document).on('keydown.kommo-modal', function (e) {
    var top = open[open.length - 1];
    if (e.key === 'Escape' && top && !top.options.disable_escape_keydown) top.destroy();
  });
  Modal.opened = function () { return open.slice(); };
  return Modal;
});
