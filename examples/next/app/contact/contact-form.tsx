'use client';
import { useState } from 'react';

/** A form handled in the page (no reload): the forms() plugin records its submit, never what was typed. */
export function ContactForm() {
  const [sent, setSent] = useState(false);
  return sent ? (
    <p>Thanks, we will write back.</p>
  ) : (
    <form
      name="contact"
      onSubmit={(event) => {
        event.preventDefault();
        setSent(true);
      }}
    >
      <label>
        Email <input name="email" type="email" autoComplete="email" />
      </label>
      <label>
        Message <textarea name="message" />
      </label>
      <button type="submit">Send</button>
    </form>
  );
}
