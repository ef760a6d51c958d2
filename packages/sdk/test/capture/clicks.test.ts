import { beforeEach, describe, expect, it } from 'vitest';
import { clicks } from '../../src/capture/index.js';
import { mount } from './fake-tracker.js';

const origin = location.origin;
const $ = (selector: string) => document.querySelector(selector)!;
const click = (selector: string, init: MouseEventInit = {}) =>
  $(selector).dispatchEvent(new MouseEvent('click', { bubbles: true, cancelable: true, ...init }));

// happy-dom follows a clicked link (and then resolves every relative href against the new location): the page
// under test keeps its URL, as a SPA's router would.
const stay = (event: Event) => event.preventDefault();
beforeEach(() => {
  document.body.innerHTML = '';
  addEventListener('click', stay);
  return () => removeEventListener('click', stay);
});

describe('clicks: the click event', () => {
  it('describes the clickable element: tag, id, classes, trimmed text, href', () => {
    document.body.innerHTML = '<a id="go" class=" nav  primary " href="/pricing">  See\n   <span>pricing</span>  </a>';
    const tracker = mount(clicks());
    click('span');
    expect(tracker.calls).toEqual([
      expect.objectContaining({
        type: 'click',
        props: { tag: 'a', id: 'go', classes: 'nav primary', text: 'See pricing', href: `${origin}/pricing` },
      }),
    ]);
  });

  it('finds the button around an icon and prefers its aria-label', () => {
    document.body.innerHTML = '<button aria-label="Close dialog"><svg><path id="p"></path></svg></button><div role="button">Menu</div>';
    const tracker = mount(clicks());
    click('#p');
    click('[role=button]');
    expect(tracker.calls.map((call) => call.props)).toEqual([
      { tag: 'button', text: 'Close dialog' },
      { tag: 'div', text: 'Menu' },
    ]);
  });

  it('bounds classes and text', () => {
    const classes = Array.from({ length: 30 }, (_, i) => `c${i}`).join(' ');
    document.body.innerHTML = `<button class="${classes}">${'word '.repeat(500)}</button>`;
    const tracker = mount(clicks());
    click('button');
    const props = tracker.calls[0]!.props!;
    expect(props.classes).toBe('c0 c1 c2 c3 c4 c5 c6 c7 c8 c9');
    expect((props.text as string).length).toBeLessThanOrEqual(128);
  });

  it('never labels a click with what a form field holds', () => {
    document.body.innerHTML = `
      <input type="submit" id="send" value="secret-submit">
      <div role="button" id="editable" contenteditable>secret-editable</div>
      <button id="wrapper"><textarea>secret-textarea</textarea></button>
      <textarea id="area">secret-area</textarea>
      <select id="choice"><option>secret-option</option></select>`;
    const tracker = mount(clicks({ now: () => 0 }));
    click('#send');
    click('#editable');
    click('#wrapper');
    // Fields themselves are not clickables: three quick clicks make them rage clicks, still without text.
    for (let i = 0; i < 3; i++) click('#area');
    for (let i = 0; i < 3; i++) click('#choice');
    expect(tracker.calls.map((call) => call.props?.tag)).toEqual(['input', 'div', 'button', 'textarea', 'select']);
    expect(JSON.stringify(tracker.calls)).not.toContain('secret');
  });

  it('redacts personal data shown in a label and keeps only the scheme of mailto/tel links', () => {
    document.body.innerHTML =
      '<a id="m" href="mailto:jane.doe@example.com">jane.doe@example.com</a><a id="t" href="tel:+4915112345678">Call</a>';
    const tracker = mount(clicks());
    click('#m');
    click('#t');
    expect(tracker.calls.map((call) => call.props)).toEqual([
      { tag: 'a', id: 'm', text: '[redacted:email]', href: 'mailto:' },
      { tag: 'a', id: 't', text: 'Call', href: 'tel:' },
    ]);
  });

  it("keeps a link's password in its userinfo out of the href", () => {
    document.body.innerHTML = '<a href="https://jane:s3cret-pw@example.org/x?q=1">x</a>';
    const tracker = mount(clicks());
    click('a');
    expect(tracker.calls[0]!.props!.href).toBe('https://example.org/x?q=1');
    expect(JSON.stringify(tracker.calls)).not.toContain('s3cret');
  });

  it.each([
    ['an external link is outbound', '<a href="https://example.org/x">x</a>', {}, { outbound: true }],
    ['a same-host link is not', '<a href="/x">x</a>', {}, {}],
    ['a mailto link is not outbound', '<a href="mailto:a@b.co">x</a>', {}, {}],
    ['a file extension means a download', '<a href="/files/report.PDF?v=2">x</a>', {}, { download: true }],
    ['the download attribute means a download', '<a href="/export" download>x</a>', {}, { download: true }],
    ['an external file is both', '<a href="https://cdn.example.org/setup.dmg">x</a>', {}, { outbound: true, download: true }],
    ['custom extensions replace the list', '<a href="/book.epub">x</a>', { downloads: ['epub'] }, { download: true }],
    ['…and drop the defaults', '<a href="/a.pdf">x</a>', { downloads: ['epub'] }, {}],
  ])('%s', (_, html, options, flags) => {
    document.body.innerHTML = html;
    const tracker = mount(clicks(options));
    click('a');
    const props = tracker.calls[0]!.props!;
    expect({ outbound: props.outbound, download: props.download }).toEqual({ outbound: undefined, download: undefined, ...flags });
  });

  it('counts middle clicks on links but not other auxiliary buttons', () => {
    document.body.innerHTML = '<a href="/x">x</a>';
    const tracker = mount(clicks());
    $('a').dispatchEvent(new MouseEvent('auxclick', { bubbles: true, button: 1 }));
    $('a').dispatchEvent(new MouseEvent('auxclick', { bubbles: true, button: 2 }));
    expect(tracker.calls).toHaveLength(1);
  });
});

describe('clicks: named events', () => {
  it('sends the data-tm-event name with the data-tm-* props of the element or an ancestor', () => {
    document.body.innerHTML =
      '<div data-tm-event="signup" data-tm-plan="pro" data-tm-seats="3" class="card"><button>Start <b>now</b></button></div>';
    const tracker = mount(clicks());
    click('b');
    expect(tracker.calls).toEqual([expect.objectContaining({ type: 'signup', props: { plan: 'pro', seats: '3' } })]);
  });

  it('sends the named event from the element itself', () => {
    document.body.innerHTML = '<span data-tm-event="video:play" data-tm-video-id="intro">Play</span>';
    const tracker = mount(clicks());
    click('span');
    expect(tracker.calls).toEqual([expect.objectContaining({ type: 'video:play', props: { 'video-id': 'intro' } })]);
  });
});

describe('clicks: rage clicks', () => {
  it('flags the third click on one element within a second, and not slower ones', () => {
    document.body.innerHTML = '<button id="a">A</button><button id="b">B</button>';
    let now = 0;
    const tracker = mount(clicks({ now: () => now }));
    for (const [t, id] of [
      [0, '#a'],
      [300, '#a'],
      [600, '#a'],
      [900, '#a'],
      [2500, '#a'],
      [2600, '#b'],
      [2700, '#a'],
      [2800, '#a'],
    ] as const) {
      now = t;
      click(id);
    }
    expect(tracker.calls.map((call) => call.props?.rage ?? false)).toEqual([false, false, true, true, false, false, false, false]);
  });

  it('tracks clicks on plain elements only when they are rage clicks', () => {
    document.body.innerHTML = '<div id="dead">Looks clickable</div>';
    const tracker = mount(clicks({ now: () => 0 }));
    click('#dead');
    click('#dead');
    expect(tracker.calls).toEqual([]);
    click('#dead');
    expect(tracker.calls).toEqual([
      expect.objectContaining({ type: 'click', props: { tag: 'div', id: 'dead', text: 'Looks clickable', rage: true } }),
    ]);
  });
});

describe('clicks: dead clicks', () => {
  const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it('reports a click on a plain element after which nothing changed as a dead click', async () => {
    document.body.innerHTML = '<img id="photo" class="zoomable" alt="Product photo"><p id="p">Text</p>';
    const tracker = mount(clicks({ deadAfter: 30 }));
    click('#photo');
    expect(tracker.calls).toEqual([]);
    await wait(60);
    expect(tracker.calls).toEqual([
      expect.objectContaining({ type: 'click', props: { tag: 'img', id: 'photo', classes: 'zoomable', dead: true } }),
    ]);
  });

  it('reports nothing when the page changed, scrolled or navigated after the click, nor for a clickable element', async () => {
    document.body.innerHTML = '<div id="tab">Tab</div><div id="other">Other</div><button id="b">B</button>';
    // Each click seconds apart on the rage clock: none of them is a rage click.
    let t = 0;
    const tracker = mount(clicks({ deadAfter: 30, now: () => (t += 2000) }));
    const steps: Array<() => void> = [
      () => document.getElementById('other')!.setAttribute('aria-expanded', 'true'),
      () => document.body.append(document.createElement('dialog')),
      () => document.dispatchEvent(new Event('scroll')),
      () => history.replaceState(null, '', `${location.pathname}?tab=2`),
    ];
    for (const step of steps) {
      click('#tab');
      step();
      await wait(60);
    }
    click('#b');
    await wait(60);
    expect(tracker.calls.map((call) => call.props)).toEqual([{ tag: 'button', id: 'b', text: 'B' }]);
    history.replaceState(null, '', location.pathname);
  });

  it('watches one click at a time, and not at all with deadAfter 0 or after teardown', async () => {
    document.body.innerHTML = '<p id="a">A</p><p id="b">B</p>';
    const tracker = mount(clicks({ deadAfter: 30, now: () => 0 }));
    click('#a');
    click('#b');
    await wait(60);
    expect(tracker.calls.map((call) => call.props?.id)).toEqual(['a']);
    const off = mount(clicks({ deadAfter: 0 }));
    click('#a');
    await wait(60);
    expect(off.calls).toEqual([]);
    tracker.teardown();
    const late = tracker.calls.length;
    off.teardown();
    const stopped = mount(clicks({ deadAfter: 30 }));
    click('#a');
    stopped.teardown();
    await wait(60);
    expect(stopped.calls).toEqual([]);
    expect(tracker.calls).toHaveLength(late);
  });
});

describe('clicks: opting out and teardown', () => {
  it('ignores an element marked data-tm-ignore and its whole subtree', () => {
    document.body.innerHTML =
      '<section data-tm-ignore><a href="/x"><span>x</span></a><div data-tm-event="signup">s</div></section><button data-tm-ignore>b</button>';
    const tracker = mount(clicks({ now: () => 0 }));
    for (let i = 0; i < 3; i++) {
      click('span');
      click('[data-tm-event]');
      click('button');
    }
    expect(tracker.calls).toEqual([]);
  });

  it('hears no click after teardown', () => {
    document.body.innerHTML = '<button>b</button>';
    const tracker = mount(clicks());
    tracker.teardown();
    click('button');
    $('button').dispatchEvent(new MouseEvent('auxclick', { bubbles: true, button: 1 }));
    expect(tracker.calls).toEqual([]);
  });
});
