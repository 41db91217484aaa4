/** The sandbox chat page: play a customer in the browser and see the service's answers. */
export const SANDBOX_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'">
<title>WhatsApp sandbox</title>
<style>
  body { font-family: system-ui, sans-serif; margin: 0; background: #efeae2; color: #111; }
  header { background: #075e54; color: #fff; padding: .75rem 1rem; display: flex; gap: .5rem; flex-wrap: wrap; align-items: center; }
  header h1 { font-size: 1.1rem; margin: 0 1rem 0 0; }
  header input { padding: .3rem; border-radius: 4px; border: 0; }
  #chat { max-width: 48rem; margin: 0 auto; padding: 1rem; display: flex; flex-direction: column; gap: .4rem; min-height: calc(100vh - 9rem); }
  .bubble { max-width: 75%; padding: .5rem .7rem; border-radius: 8px; white-space: pre-wrap; overflow-wrap: anywhere; box-shadow: 0 1px 1px #0002; }
  .in { align-self: flex-end; background: #d9fdd3; }
  .out { align-self: flex-start; background: #fff; }
  .meta { font-size: .7rem; color: #667; margin-top: .2rem; }
  .error { align-self: center; background: #fdd; }
  form { position: sticky; bottom: 0; background: #f0f2f5; padding: .6rem; display: flex; gap: .5rem; max-width: 48rem; margin: 0 auto; }
  form textarea { flex: 1; resize: vertical; min-height: 2.4rem; padding: .4rem; }
  button { background: #00a884; color: #fff; border: 0; border-radius: 4px; padding: 0 1rem; cursor: pointer; }
</style>
</head>
<body>
<header>
  <h1>WhatsApp sandbox</h1>
  <label>API key <input id="key" type="password" autocomplete="off" size="18"></label>
  <label>Phone <input id="phone" value="49151000000" size="14"></label>
  <label>Name <input id="name" value="Max Mustermann" size="14"></label>
</header>
<main id="chat" aria-live="polite"></main>
<form id="send">
  <select id="type" aria-label="Message type">
    <option>text</option><option>image</option><option>video</option><option>audio</option>
    <option>document</option><option>sticker</option><option>location</option><option>contact</option>
  </select>
  <textarea id="text" placeholder="Type a message as the customer (Enter sends)"></textarea>
  <button>Send</button>
</form>
<script>
  const $ = (id) => document.getElementById(id);
  $('key').value = sessionStorage.getItem('sandbox-key') || '';
  $('key').addEventListener('change', () => sessionStorage.setItem('sandbox-key', $('key').value));
  const mine = [];
  let theirs = [];
  const headers = () => ({ 'Content-Type': 'application/json', 'X-API-Key': $('key').value });

  function render() {
    const items = [...mine.filter((m) => m.phone === $('phone').value).map((m) => ({ ...m, cls: 'in' })),
                   ...theirs.map((m) => ({ text: m.text, at: m.at, cls: 'out', meta: m.read ? 'read' : 'delivered' }))]
      .sort((a, b) => a.at.localeCompare(b.at));
    $('chat').replaceChildren(...items.map((m) => {
      const div = document.createElement('div');
      div.className = 'bubble ' + m.cls;
      div.textContent = m.text;
      const meta = document.createElement('div');
      meta.className = 'meta';
      meta.textContent = new Date(m.at).toLocaleTimeString() + (m.meta ? ' · ' + m.meta : '');
      div.append(meta);
      return div;
    }));
  }

  function problem(text) {
    const div = document.createElement('div');
    div.className = 'bubble error';
    div.textContent = text;
    $('chat').append(div);
  }

  async function poll() {
    try {
      const res = await fetch('/sandbox/outbound?read=1&phone=' + encodeURIComponent($('phone').value), { headers: headers() });
      if (res.ok) { theirs = (await res.json()).messages; render(); }
    } catch {}
    setTimeout(poll, 1500);
  }

  $('send').addEventListener('submit', async (event) => {
    event.preventDefault();
    const type = $('type').value;
    const text = $('text').value;
    if (type === 'text' && !text.trim()) return;
    const res = await fetch('/sandbox/inbound', { method: 'POST', headers: headers(),
      body: JSON.stringify({ phone: $('phone').value, name: $('name').value, text, type }) });
    if (!res.ok) return problem((await res.json()).error.message);
    mine.push({ phone: $('phone').value, text: type === 'text' ? text : '[' + type + '] ' + text, at: new Date().toISOString() });
    $('text').value = '';
    render();
  });
  $('text').addEventListener('keydown', (e) => { if (e.key === 'Enter' && !e.shiftKey) { e.preventDefault(); $('send').requestSubmit(); } });
  poll();
</script>
</body>
</html>
`;
