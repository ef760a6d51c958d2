/**
 * UTF-8 byte length of a string. Almost every event is ASCII, whose length is its size; the rest is counted by the
 * browser's own encoder (a Blob), which costs more but only for text that needs it.
 */
export const utf8Bytes = (text: string): number => (/[^ -~]/.test(text) ? new Blob([text]).size : text.length);
