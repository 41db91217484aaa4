/** File names for customers' media. Pure. */

const EXTENSIONS: Record<string, string> = {
  'image/jpeg': 'jpg', 'image/png': 'png', 'image/webp': 'webp', 'image/gif': 'gif', 'image/heic': 'heic',
  'video/mp4': 'mp4', 'video/3gpp': '3gp', 'video/quicktime': 'mov',
  'audio/ogg': 'ogg', 'audio/mpeg': 'mp3', 'audio/mp4': 'm4a', 'audio/aac': 'aac', 'audio/amr': 'amr', 'audio/wav': 'wav',
  'application/pdf': 'pdf', 'text/plain': 'txt',
};

const KIND_NAMES: Record<string, string> = { image: 'photo', video: 'video', audio: 'audio', document: 'document', sticker: 'sticker' };

/** "audio/ogg; codecs=opus" -> "audio/ogg"; anything odd -> application/octet-stream. */
export function baseMimeType(mimetype: string | null | undefined): string {
  const base = (mimetype ?? '').split(';')[0]!.trim().toLowerCase();
  return /^[a-z]+\/[a-z0-9.+-]+$/.test(base) ? base : 'application/octet-stream';
}

/**
 * A safe file name: the customer's own for documents (path, control and
 * shell-unfriendly characters removed), else "<kind>-<timestamp>.<ext>".
 * A voice note keeps ".ogg" so that it plays where it is opened.
 */
export function mediaFileName(kind: string, mimetype: string, given: string | null | undefined, timestamp: number): string {
  const extension = EXTENSIONS[baseMimeType(mimetype)] ?? 'bin';
  const cleaned = (given ?? '')
    .split(/[\\/]/).pop()!
    .normalize('NFC')
    .replace(/[\u0000-\u001f\u007f"*:<>?|]+/g, '')
    .replace(/\s+/g, ' ')
    .replace(/^[.\s]+/, '')
    .trim()
    .slice(-120);
  if (cleaned !== '') return /\.[A-Za-z0-9]{1,5}$/.test(cleaned) ? cleaned : `${cleaned}.${extension}`;
  const stamp = new Date(timestamp * 1000).toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-');
  return `${KIND_NAMES[kind] ?? 'file'}-${stamp}.${extension}`;
}
