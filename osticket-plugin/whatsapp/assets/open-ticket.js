/* The staff's open-ticket form: "New WhatsApp customer (phone only)" beside the user, opening the
   plugin's dialog; the user it answers with is chosen as osTicket's own "Add New" chooses one. */
(function ($) {
  function add() {
    var user = $('#user-name');
    if (!user.length || $('#whatsapp-new-customer').length) return;
    var link = $('<a class="inline button" id="whatsapp-new-customer" href="#" style="overflow:inherit"><i class="icon-comments"></i> </a>');
    link.append(document.createTextNode(window.whatsappNewCustomer));
    user.closest('td').children('a.button').last().after(link).after(' ');
    if (!link.parent().length) user.closest('td').append(' ').append(link);
  }
  $(document).off('click.whatsappNew').on('click.whatsappNew', '#whatsapp-new-customer', function (e) {
    e.preventDefault();
    $.dialog('ajax.php/whatsapp/users/new', 201, function (xhr, resp) {
      var user = typeof resp === 'string' ? JSON.parse(resp) : resp;
      if ($('select#user-name').length) {
        $('select#user-name').append(new Option(user.email + ' - ' + user.name, user.id, true, true)).trigger('change');
      } else {
        $('input#uid').val(user.id);
        $('#user-name').text(user.name);
        $('#user-email').text(user.email);
      }
    });
  });
  // The plugin's "WhatsApp" field says what became of the last reply: the plugin sets it, not the form
  // (osTicket shows every field agents see on its open form, also one they may not edit). Shown again per help topic.
  function hideStateField() {
    $('#dynamic-form select').filter(function () {
      return $(this).find('option[value=delivered]').length && $(this).find('option[value=held]').length;
    }).closest('tr').hide();
  }
  $(document).off('ajaxComplete.whatsappNew').on('ajaxComplete.whatsappNew', hideStateField);
  $(add);
  $(hideStateField);
})(jQuery);
