/**
 * `url` without its userinfo (`https://user:secret@host/p` → `https://host/p`): a password must not leave the page.
 * The SDK runs this on the URLs it captures; the servers' `redactUrl` does it again, and more.
 */
export const withoutUserinfo = (url: string): string => url.replace(/^([a-z][\w+.-]*:\/\/)[^/?#]*@/i, '$1');
