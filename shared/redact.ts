/** Replaces every occurrence of each secret (and its URL-encoded form) with `***`. */
export const redact = (text: string, secrets: readonly (string | undefined)[]): string => {
  let out = text;
  for (const secret of secrets) {
    if (!secret || secret.length < 4) continue;
    for (const form of new Set([secret, encodeURIComponent(secret)])) out = out.split(form).join('***');
  }
  return out;
};
