/** The sandbox chat page: play a customer in the browser and see the service's answers. */
export const SANDBOX_PAGE = String.raw`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'self'; img-src 'self' blob:; script-src 'unsafe-inline'; style-src 'unsafe-inline'">
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
  #status { max-width: 48rem; margin: .5rem auto 0; padding: .5rem .7rem; background: #fdd; border-radius: 6px; }
  form { position: sticky; bottom: 0; background: #f0f2f5; padding: .6rem; display: flex; gap: .5rem; max-width: 48rem; margin: 0 auto; }
  form textarea { flex: 1; resize: vertical; min-height: 2.4rem; padding: .4rem; }
  button { background: #00a884; color: #fff; border: 0; border-radius: 4px; padding: 0 1rem; cursor: pointer; }
  .bubble img { display: block; max-width: 100%; max-height: 16rem; border-radius: 4px; margin-bottom: .3rem; }
  .bubble a.file { display: block; margin-bottom: .3rem; }
  #file { max-width: 12rem; }
  #link { margin-left: auto; font-size: .85rem; }
  #link::before { content: '●'; margin-right: .3rem; color: #f5b400; }
  #link.up::before { color: #25d366; }
  #link.down::before { color: #ff5252; }
</style>
</head>
<body>
<header>
  <h1>WhatsApp sandbox</h1>
  <label title="The value of API_KEY in whatsapp-service/.env">API key <input id="key" type="password" autocomplete="off" size="18" placeholder="API_KEY from .env"></label>
  <label>Phone <input id="phone" value="447700900123" size="14" placeholder="447700900123"></label>
  <label>Name <input id="name" value="Max Mustermann" size="14"></label>
  <span id="link" role="status">connecting…</span>
</header>
<p id="status" role="status" hidden></p>
<main id="chat" aria-live="polite"></main>
<form id="send">
  <select id="type" aria-label="Message type">
    <option>text</option><option>image</option><option>video</option><option>audio</option>
    <option>document</option><option>sticker</option><option>location</option><option>contact</option>
  </select>
  <input id="file" type="file" aria-label="Attach a file">
  <textarea id="text" placeholder="Type a message as the customer (Enter sends)"></textarea>
  <button>Send</button>
</form>
<script>
  const $ = (id) => document.getElementById(id);
  const KEY_HINT = 'the value of API_KEY in whatsapp-service/.env';
  // Kept for this browser tab, so that a reload shows the same chat.
  for (const id of ['key', 'phone', 'name']) {
    $(id).value = sessionStorage.getItem('sandbox-' + id) || $(id).value;
    const keep = () => sessionStorage.setItem('sandbox-' + id, $(id).value);
    $(id).addEventListener('input', keep);
    $(id).addEventListener('change', () => { keep(); poll(); });
  }
  let messages = [];
  const localFiles = new Map(); // message id -> blob: URL of a file the customer sent from this page
  const fileUrls = new Map(); // media url -> blob: URL, fetched once with the API key
  const headers = () => ({ 'Content-Type': 'application/json', 'X-API-Key': $('key').value });

  /** One line above the chat saying what is wrong, or nothing; the dot in the header says whether the service answers. */
  function say(problem, link) {
    $('status').hidden = !problem;
    $('status').textContent = problem || '';
    $('link').className = link;
    $('link').textContent = { up: 'service connected', key: 'API key needed', down: 'service not answering' }[link];
  }

  /** WhatsApp's *bold*, _italic_ and ~strike~ as the phone shows them; never markup from the text itself. */
  const MARKS = { '*': 'strong', '_': 'em', '~': 's' };
  const MARKED = /(^|[\s.,:;!?()"'])([*_~])(?!\s)([^\n]*?[^\s])\2(?=$|[\s.,:;!?()"'])/;
  function formatted(text) {
    const out = document.createDocumentFragment();
    let rest = text;
    for (let m = MARKED.exec(rest); m; m = MARKED.exec(rest)) {
      out.append(rest.slice(0, m.index) + m[1]);
      const element = document.createElement(MARKS[m[2]]);
      element.append(formatted(m[3]));
      out.append(element);
      rest = rest.slice(m.index + m[0].length);
    }
    out.append(rest);
    return out;
  }

  /** A file in a bubble: a picture inline, anything else as a download link, a name while it is not loaded. */
  function fileView(name, type, url) {
    if (!url) return document.createTextNode('📎 ' + name + '\n');
    if (type.startsWith('image/')) {
      const img = document.createElement('img');
      img.src = url;
      img.alt = name;
      return img;
    }
    const a = document.createElement('a');
    a.className = 'file';
    a.href = url;
    a.download = name;
    a.textContent = '📎 ' + name;
    return a;
  }

  async function fetchFile(url) {
    if (fileUrls.has(url)) return;
    fileUrls.set(url, null);
    const res = await fetch(url, { headers: headers() });
    if (res.ok) { fileUrls.set(url, URL.createObjectURL(await res.blob())); render(); } else fileUrls.delete(url);
  }

  function render() {
    $('chat').replaceChildren(...messages.map((m) => {
      const div = document.createElement('div');
      div.className = 'bubble ' + m.direction;
      if (m.media) div.append(fileView(m.media.filename, m.media.mimetype, localFiles.get(m.id) || fileUrls.get(m.media.url)));
      const shown = m.direction === 'in' && m.type !== 'text' && !m.media ? '[' + m.type + '] ' + m.text : m.text;
      div.append(formatted(shown));
      const meta = document.createElement('div');
      meta.className = 'meta';
      meta.textContent = new Date(m.at).toLocaleTimeString() + (m.direction === 'out' ? ' · ' + (m.read ? 'read' : 'delivered') : '');
      div.append(meta);
      return div;
    }));
  }

  let timer = null;
  let newest = null;
  /** A new message scrolls to the bottom, as a chat does; reading further up is left alone otherwise. */
  function scrollToNewest() {
    const last = messages.length ? messages[messages.length - 1] : null;
    const key = last && (last.id || last.whatsappId);
    if (key !== newest) {
      newest = key;
      window.scrollTo(0, document.body.scrollHeight);
    }
  }

  async function poll() {
    clearTimeout(timer);
    try {
      const res = await fetch('/sandbox/conversation?read=1&phone=' + encodeURIComponent($('phone').value), { headers: headers() });
      if (res.status === 401) {
        say($('key').value ? 'The API key is wrong: enter ' + KEY_HINT + '.' : 'Enter the API key: ' + KEY_HINT + '.', 'key');
      } else if (!res.ok) {
        say(((await res.json().catch(() => null)) || { error: { message: 'HTTP ' + res.status } }).error.message, 'down');
      } else {
        say('', 'up');
        messages = (await res.json()).messages;
        for (const m of messages) if (m.media && m.media.url && !localFiles.has(m.id)) fetchFile(m.media.url);
        render();
        scrollToNewest();
      }
    } catch {
      say('The WhatsApp service does not answer. Is it running?', 'down');
    }
    timer = setTimeout(poll, 1500);
  }

  $('send').addEventListener('submit', async (event) => {
    event.preventDefault();
    const chosen = $('file').files[0];
    // With a file the service tells its type from the file, unless a media type is chosen.
    const type = chosen && $('type').value === 'text' ? undefined : $('type').value;
    const text = $('text').value;
    if (!chosen && type === 'text' && !text.trim()) return;
    const body = { phone: $('phone').value, name: $('name').value, text, type };
    if (chosen) {
      const data = await new Promise((resolve) => {
        const reader = new FileReader();
        reader.onload = () => resolve(String(reader.result).split(',')[1] || '');
        reader.readAsDataURL(chosen);
      });
      body.media = { filename: chosen.name, mimetype: chosen.type || 'application/octet-stream', data };
    }
    const res = await fetch('/sandbox/inbound', { method: 'POST', headers: headers(), body: JSON.stringify(body) });
    if (res.status === 401) return say('Not sent: the API key is ' + ($('key').value ? 'wrong' : 'missing') + '. Enter ' + KEY_HINT + '.');
    if (!res.ok) return say('Not sent: ' + (await res.json()).error.message);
    if (chosen) localFiles.set((await res.json()).id, URL.createObjectURL(chosen));
    $('text').value = '';
    $('file').value = '';
    poll();
  });
  $('text').addEventListener('keydown', (e) => { if (e.key === 'Enter' && !e.shiftKey) { e.preventDefault(); $('send').requestSubmit(); } });
  poll();
</script>
</body>
</html>
`;
