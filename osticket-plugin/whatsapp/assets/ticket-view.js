/* The WhatsApp delivery state of each message sent from this ticket, beside its thread entry,
   fetched from the plugin's staff route every 10 seconds while the page is shown, and at once
   when the window gets the focus. Texts arrive as data and are set as text, never as HTML. */
(function ($) {
  var config = window.whatsappDelivery;
  var shared = window.whatsappDeliveryPoll || (window.whatsappDeliveryPoll = {});
  clearInterval(shared.timer); // the ticket loaded again (osTicket loads pages by pjax)
  $(window).off('focus.whatsapp');
  var marks = { pending: '\u23F1', queued: '\u23F1', held: '\u23F8', sent: '\u2713', delivered: '\u2713\u2713', read: '\u2713\u2713', failed: '\u26A0' };

  function here() {
    return $('#whatsapp-delivery').data('ticket') == config.ticket;
  }

  function paint(data) {
    $('.whatsapp-state').remove();
    $.each(data.entries || {}, function (entryId, items) {
      var header = $('#thread-entry-' + entryId + ' .header').first();
      var place = header.find('.textra').first();
      $.each(items, function (_, item) {
        var badge = $('<span class="label label-bare whatsapp-state"></span>')
          .addClass('whatsapp-' + item.state).attr('title', item.title).attr('data-state', item.state)
          .text(marks[item.state] + ' ' + item.label);
        place.length ? place.prepend(badge) : header.append(badge);
      });
    });
    var key = 'whatsapp-owner-' + config.ticket + '-' + data.owner;
    if (data.owner && !shared.asking && !sessionStorage.getItem(key) && $.dialog) {
      shared.asking = true;
      sessionStorage.setItem(key, '1'); // asked once; cancelled, replies follow the owner as before
      $.dialog(config.url + '/owner', 201, function () {
        shared.asking = false;
        $.pjax.reload('#pjax-container');
      });
      $(document).one('click', '.dialog#popup .close', function () { shared.asking = false; });
    }
  }

  function poll() {
    if (!here()) {
      clearInterval(shared.timer);
      $(window).off('focus.whatsapp');
      return;
    }
    if (document.hidden || Date.now() - (shared.last || 0) < 2000) return;
    shared.last = Date.now();
    $.ajax({ url: config.url + '/states', dataType: 'json', cache: false }).done(paint);
  }

  shared.timer = setInterval(poll, 10000);
  $(window).on('focus.whatsapp', poll);
  $(poll);
})(jQuery);
