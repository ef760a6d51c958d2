/** `url` without its userinfo (`https://user:secret@host/p` → `https://host/p`): a password must not leave the page. */
export const withoutUserinfo = (url: string): string => url.replace(/^([a-z][\w+.-]*:\/\/)[^/?#]*@/i, '$1');
