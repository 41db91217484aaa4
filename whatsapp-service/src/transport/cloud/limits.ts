/**
 * What the Cloud API takes in one message (…/whatsapp/cloud-api/reference/messages,
 * …/business-phone-numbers/media#supported-media-types). Pure.
 */

/** A text message's body, in characters. */
export const MAX_TEXT_CHARS = 4096;
/** A caption on a picture, video or document. */
export const MAX_CAPTION_CHARS = 1024;

const MB = 1024 * 1024;
/** The types the media upload takes, by how a message may carry them, with the largest size for each. */
const KINDS: Array<{ kind: 'image' | 'audio' | 'video' | 'document'; types: string[]; maxBytes: number }> = [
  { kind: 'image', types: ['image/jpeg', 'image/png'], maxBytes: 5 * MB },
  { kind: 'audio', types: ['audio/aac', 'audio/amr', 'audio/mpeg', 'audio/mp4', 'audio/ogg'], maxBytes: 16 * MB },
  { kind: 'video', types: ['video/mp4', 'video/3gpp'], maxBytes: 16 * MB },
  {
    kind: 'document',
    types: [
      'text/plain', 'application/pdf', 'application/msword', 'application/vnd.ms-excel', 'application/vnd.ms-powerpoint',
      'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
      'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
      'application/vnd.openxmlformats-officedocument.presentationml.presentation',
    ],
    maxBytes: 100 * MB,
  },
];
const DOCUMENT_MAX_BYTES = 100 * MB;

/**
 * How a file goes: as a picture, audio or video when its type and size allow, else as a document
 * (any type the upload takes, up to 100 MB); null when the Cloud API takes its type in no message.
 */
export function mediaKind(mimetype: string, bytes: number): 'image' | 'audio' | 'video' | 'document' | null {
  const type = mimetype.split(';')[0]!.trim().toLowerCase();
  const kind = KINDS.find((k) => k.types.includes(type));
  if (!kind) return null;
  if (bytes <= kind.maxBytes) return kind.kind;
  return bytes <= DOCUMENT_MAX_BYTES ? 'document' : null;
}

/** The file types the Cloud API takes, for the agent's note. */
export const TAKEN_TYPES = 'JPEG and PNG pictures, PDF, plain text, Word, Excel and PowerPoint files, MP3/AAC/AMR/OGG audio and MP4/3GP video';

/**
 * A text cut into parts the Cloud API takes, each marked "(1/2)" at its end; cut at a line break (else a
 * space) in the last fifth of a part when there is one, never inside a character. One part: unchanged.
 */
export function textParts(text: string, limit = MAX_TEXT_CHARS): string[] {
  const characters = [...text];
  if (characters.length <= limit) return [text];
  const room = limit - ' (99/99)'.length;
  const parts: string[] = [];
  let rest = characters;
  while (rest.length > 0) {
    let cut = Math.min(room, rest.length);
    if (cut < rest.length) {
      const window = rest.slice(Math.floor(room * 0.8), cut).join('');
      const at = window.lastIndexOf('\n') >= 0 ? window.lastIndexOf('\n') : window.lastIndexOf(' ');
      if (at >= 0) cut = Math.floor(room * 0.8) + [...window.slice(0, at)].length + 1;
    }
    parts.push(rest.slice(0, cut).join('').trimEnd());
    rest = rest.slice(cut);
  }
  return parts.map((part, i) => `${part} (${i + 1}/${parts.length})`);
}
