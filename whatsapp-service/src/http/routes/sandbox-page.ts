/** The sandbox chat page: play a customer in the browser and see the service's answers. */
export const SANDBOX_PAGE = `<!doctype html>
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
  .error { align-self: center; background: #fdd; }
  form { position: sticky; bottom: 0; background: #f0f2f5; padding: .6rem; display: flex; gap: .5rem; max-width: 48rem; margin: 0 auto; }
  form textarea { flex: 1; resize: vertical; min-height: 2.4rem; padding: .4rem; }
  button { background: #00a884; color: #fff; border: 0; border-radius: 4px; padding: 0 1rem; cursor: pointer; }
  .bubble img { display: block; max-width: 100%; max-height: 16rem; border-radius: 4px; margin-bottom: .3rem; }
  .bubble a.file { display: block; margin-bottom: .3rem; }
  #file { max-width: 12rem; }
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
  <input id="file" type="file" aria-label="Attach a file">
  <textarea id="text" placeholder="Type a message as the customer (Enter sends)"></textarea>
  <button>Send</button>
</form>
<script>
  const $ = (id) => document.getElementById(id);
  $('key').value = sessionStorage.getItem('sandbox-key') || '';
  $('key').addEventListener('change', () => sessionStorage.setItem('sandbox-key', $('key').value));
  const mine = [];
  let theirs = [];
  const fileUrls = new Map(); // media url -> blob: URL, fetched once with the API key
  const headers = () => ({ 'Content-Type': 'application/json', 'X-API-Key': $('key').value });

  /** A file in a bubble: a picture inline, anything else as a download link. */
  function fileView(name, type, url) {
    if (!url) return document.createTextNode('[' + name + '] ');
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
    const items = [...mine.filter((m) => m.phone === $('phone').value).map((m) => ({ ...m, cls: 'in' })),
                   ...theirs.map((m) => ({ text: m.text, at: m.at, cls: 'out', meta: m.read ? 'read' : 'delivered',
                     file: m.media && { name: m.media.filename, type: m.media.mimetype, url: fileUrls.get(m.media.url) } }))]
      .sort((a, b) => a.at.localeCompare(b.at));
    $('chat').replaceChildren(...items.map((m) => {
      const div = document.createElement('div');
      div.className = 'bubble ' + m.cls;
      if (m.file) div.append(fileView(m.file.name, m.file.type, m.file.url));
      div.append(m.text);
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
      if (res.ok) {
        theirs = (await res.json()).messages;
        for (const m of theirs) if (m.media) fetchFile(m.media.url);
        render();
      }
    } catch {}
    setTimeout(poll, 1500);
  }

  $('send').addEventListener('submit', async (event) => {
    event.preventDefault();
    const chosen = $('file').files[0];
    // With a file the service tells its type from the file, unless a media type is chosen.
    const type = chosen && $('type').value === 'text' ? undefined : $('type').value;
    const text = $('text').value;
    if (!chosen && type === 'text' && !text.trim()) return;
    const body = { phone: $('phone').value, name: $('name').value, text, type };
    const at = new Date().toISOString(); // before sending: the answer may come back before the request returns
    if (chosen) {
      const data = await new Promise((resolve) => {
        const reader = new FileReader();
        reader.onload = () => resolve(String(reader.result).split(',')[1] || '');
        reader.readAsDataURL(chosen);
      });
      body.media = { filename: chosen.name, mimetype: chosen.type || 'application/octet-stream', data };
    }
    const res = await fetch('/sandbox/inbound', { method: 'POST', headers: headers(), body: JSON.stringify(body) });
    if (!res.ok) return problem((await res.json()).error.message);
    mine.push({ phone: $('phone').value, text: chosen || type === 'text' ? text : '[' + type + '] ' + text, at,
      file: chosen && { name: chosen.name, type: chosen.type || '', url: URL.createObjectURL(chosen) } });
    $('text').value = '';
    $('file').value = '';
    render();
  });
  $('text').addEventListener('keydown', (e) => { if (e.key === 'Enter' && !e.shiftKey) { e.preventDefault(); $('send').requestSubmit(); } });
  poll();
</script>
</body>
</html>
`;
