import type { Metadata } from 'next';
import { ContactForm } from './contact-form';

export const metadata: Metadata = { title: 'Contact · Trailmark shop' };

export default function Contact() {
  return (
    <>
      <h1>Contact</h1>
      <ContactForm />
    </>
  );
}
