import { baseMimeType } from './file-name.js';

/** A file handed to the service in a JSON body. */
export interface FileUpload {
  filename: string;
  /** The base type, without parameters ("audio/ogg"). */
  mimetype: string;
  data: Buffer;
}

/**
 * `{"filename", "mimetype", "data": base64}` as /send-secure and
 * /sandbox/inbound take it, or null when it is not one. A customer's file
 * (`customer`) may come without a name, as WhatsApp photos do. Pure.
 */
export function parseFileUpload(raw: unknown, { customer = false } = {}): FileUpload | null {
  const { filename, mimetype, data } = (raw ?? {}) as Record<string, unknown>;
  if (typeof filename !== 'string' || (filename === '' && !customer) || filename.length > 255 || /[\r\n]/.test(filename)) return null;
  if (typeof mimetype !== 'string' || (baseMimeType(mimetype) === 'application/octet-stream' && !/^application\/octet-stream/i.test(mimetype))) return null;
  if (typeof data !== 'string' || !(customer ? /^[A-Za-z0-9+/]*={0,2}$/ : /^[A-Za-z0-9+/]+={0,2}$/).test(data)) return null;
  return { filename, mimetype: baseMimeType(mimetype), data: Buffer.from(data, 'base64') };
}
