/**
 * Headers of every dashboard response. The Content-Security-Policy allows only the dashboard's own script,
 * style and image files (no inline script or style, no other origin, no framing), so that even a value that
 * escaped escaping could not run; the JSON answers are never sniffed as HTML, nothing is cached or leaked
 * through the Referer.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "connect-src 'self'",
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; '),
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'same-origin',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};
