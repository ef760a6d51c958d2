import type { Page } from './router.js';

const html = (main: HTMLElement, markup: string) => {
  main.insertAdjacentHTML('beforeend', markup);
};

export const home: Page = (main) =>
  html(
    main,
    `<h1>Home</h1>
     <p>A single-page app: these links change the URL with the History API, and every change is a page view whose
     referrer is the page before it.</p>
     <p><a href="/pricing" data-route id="see-pricing">See pricing</a></p>`,
  );

export const pricing: Page = (main) =>
  html(
    main,
    `<h1>Pricing</h1>
     <ul class="plans">
       <li><h2>Starter</h2><p>Free</p></li>
       <li><h2>Pro</h2><p>$12 a month</p><a href="/signup?plan=pro" data-route id="choose-pro">Choose Pro</a></li>
     </ul>
     <div class="tall">Scroll down: scroll depth is measured per page view.</div>`,
  );

/** The sign-up form: its submit is tracked with the allowlisted values only, never the password or card. */
export const signup: Page = (main, navigate) => {
  const plan = new URLSearchParams(location.search).get('plan') ?? 'starter';
  html(
    main,
    `<h1>Sign up</h1>
     <form id="signup" action="/signup" method="post">
       <label>Company <input name="company" autocomplete="organization" /></label>
       <label>E-mail <input name="email" type="email" autocomplete="email" /></label>
       <label>Password <input name="password" type="password" autocomplete="new-password" /></label>
       <label>Card number <input name="card_number" autocomplete="cc-number" inputmode="numeric" /></label>
       <label>Plan <select name="plan">
         <option value="starter">Starter</option><option value="pro">Pro</option>
       </select></label>
       <button type="submit">Create account</button>
     </form>`,
  );
  const form = main.querySelector('form') as HTMLFormElement;
  (form.elements.namedItem('plan') as HTMLSelectElement).value = plan;
  form.addEventListener('submit', (event) => {
    // An SPA form: the tracker's capture-phase listener has already seen the submit.
    event.preventDefault();
    navigate('/welcome');
  });
};

export const welcome: Page = (main) => html(main, `<h1>Welcome</h1><p>Your account is ready.</p><a href="/" data-route>Home</a>`);

const HELP_SECTIONS: Record<string, string> = {
  '#/faq': '<h2>FAQ</h2><p>Events wait in IndexedDB until a backend has acknowledged them.</p>',
  '#/contact': '<h2>Contact</h2><p>Write to help@example.com.</p>',
};

/** The help route routes by hash (`/help#/faq`, `/help#/contact`), as older SPAs and static hosts do. */
export const help: Page = (main) => {
  const section = HELP_SECTIONS[location.hash] ?? HELP_SECTIONS['#/faq'];
  html(
    main,
    `<h1>Help</h1>
     <nav class="tabs"><a href="#/faq" id="help-faq">FAQ</a> <a href="#/contact" id="help-contact">Contact</a></nav>
     <section>${section}</section>`,
  );
};

export const notFound: Page = (main) => html(main, '<h1>Not found</h1><a href="/" data-route>Home</a>');
