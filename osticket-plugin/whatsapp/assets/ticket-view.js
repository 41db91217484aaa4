/* The WhatsApp delivery state of each message sent from this ticket, beside its thread entry,
   fetched from the plugin's staff route every 10 seconds while the agent works on the page, and
   at once when the window gets the focus. Every request renews osTicket's session: after five
   minutes without a key, click or scroll the page stops asking (so an agent who walks away is
   logged out as osTicket intends) until the agent is back. Texts arrive as data and are set as
   text, never as HTML. */
(function ($) {
  var config = window.whatsappDelivery;
  var shared = window.whatsappDeliveryPoll || (window.whatsappDeliveryPoll = {});
  clearInterval(shared.timer); // the ticket loaded again (osTicket loads pages by pjax)
  $(window).off('.whatsapp');
  $(document).off('.whatsapp');
  var IDLE_MS = 5 * 60 * 1000;
  var marks = { pending: '\u23F1', queued: '\u23F1', held: '\u23F8', sent: '\u2713', delivered: '\u2713\u2713', read: '\u2713\u2713', failed: '\u26A0' };
  shared.active = Date.now();
  shared.painted = null;

  function here() {
    return $('#whatsapp-delivery').data('ticket') == config.ticket;
  }

  function stop() {
    clearInterval(shared.timer);
    $(window).off('.whatsapp');
    $(document).off('.whatsapp');
  }

  function paint(data) {
    var notice = $('#whatsapp-notice');
    if (!data.notice) notice.remove();
    else if (notice.text() !== data.notice) {
      if (!notice.length) notice = $('<div class="warning-banner" id="whatsapp-notice"></div>').insertBefore('#ticketThread');
      notice.text(data.notice);
    }
    var seen = JSON.stringify(data.entries || {});
    if (seen === shared.painted && $('.whatsapp-state').length) return; // unchanged: an open hover stays
    shared.painted = seen;
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
    if (data.owner) askAboutOwner(data.owner);
  }

  /* After Change Owner: where the conversation goes, asked once per ticket and number, never over another dialog. */
  function askAboutOwner(number) {
    var key = 'whatsapp-owner-' + config.ticket + '-' + number;
    try {
      if (sessionStorage.getItem(key)) return;
    } catch (e) { return; }
    if (shared.asking || $('.dialog#popup').is(':visible') || !$.dialog) return;
    shared.asking = true;
    $.ajax({ url: config.url + '/owner', cache: false }).done(function () {
      if ($('.dialog#popup').is(':visible')) return;
      try { sessionStorage.setItem(key, '1'); } catch (e) { /* asked again next time */ }
      $.dialog(config.url + '/owner', 201, function () {
        $.pjax.reload('#pjax-container');
      });
    }).always(function () { shared.asking = false; });
  }

  function poll() {
    if (!here()) return stop();
    if (document.hidden || Date.now() - shared.active > IDLE_MS || Date.now() - (shared.last || 0) < 2000) return;
    shared.last = Date.now();
    $.ajax({ url: config.url + '/states', dataType: 'json', cache: false }).done(paint).fail(function (xhr) {
      if (xhr.status === 403 || xhr.status === 404) stop(); // no longer this agent's, or deleted
    });
  }

  function active() {
    var wasIdle = Date.now() - shared.active > IDLE_MS;
    shared.active = Date.now();
    if (wasIdle) poll();
  }

  shared.timer = setInterval(poll, 10000);
  $(window).on('focus.whatsapp', function () { active(); poll(); });
  $(document).on('keydown.whatsapp mousedown.whatsapp scroll.whatsapp', active);
  $(poll);
})(jQuery);
