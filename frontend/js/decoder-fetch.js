// A model's decoder file fetched, checked against the hash /api/models announced and parsed,
// or the reason it could not be, in words for the page's decode note (decode-source.js).

import * as api from "./api.js";
import { DecoderFormatError, parseDecoder } from "./decoder.js";

/** A decoder file whose bytes are not the ones /api/models announced. */
class ChecksumError extends Error {}

/**
 * @param {object} m an entry of /api/models
 * @returns {Promise<{decoder: object} | {reason: string, mayPass?: boolean}>} never rejects
 */
export async function fetchDecoder(m) {
  if (!m.decoder) return { reason: "this model has no decoder file" };
  try {
    const buffer = await api.decoderFile(m);
    await checkDigest(buffer, m.decoder.sha256);
    return { decoder: parseDecoder(buffer) };
  } catch (err) {
    // Expected failures (a 404, a corrupt file): the page goes on with the server, quietly.
    return { reason: loadFailure(err), mayPass: api.mayPass(err) };
  }
}

/** Refuse a file whose bytes are not those /api/models announced (where the page may hash). */
async function checkDigest(buffer, sha256) {
  if (!globalThis.crypto || !crypto.subtle) return; // plain http on a remote host: no digest API
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", buffer));
  const hex = Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
  if (hex !== sha256) throw new ChecksumError("its content does not match its hash");
}

/**
 * Why a decoder file did not load, as it happened. api.js words its errors for the calls a user
 * makes ("The server did not answer..."), which misleads here: the file is fetched while the
 * server answers everything else, and its failure only means the server decodes instead.
 * @param {unknown} err what the fetch, the digest check or the parser threw
 * @returns {string}
 */
function loadFailure(err) {
  if (err instanceof api.ApiError) {
    return err.status === 0
      ? "the network request for the decoder file failed"
      : `the decoder file could not be fetched (HTTP ${err.status})`;
  }
  if (err instanceof ChecksumError) {
    return "the decoder file's checksum did not match the one /api/models announced";
  }
  if (err instanceof DecoderFormatError) return `the decoder file could not be read: ${err.message}`;
  return `the decoder file could not be loaded: ${err && err.message ? err.message : "unknown error"}`;
}
