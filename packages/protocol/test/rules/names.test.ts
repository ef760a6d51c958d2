import { describe, expect, it } from 'vitest';
import {
  isSensitiveField,
  isSensitiveFieldServer,
  isSensitiveKey,
  redactEvent,
  SENSITIVE_VALUE,
  type TrailmarkEvent,
} from '../../src/index.js';

/** The word for password in the 20+ languages most used on the web, as pages name their fields. */
const PASSWORD_WORDS = [
  'password',
  'Passwort',
  'kennwort',
  'contraseña',
  'senha',
  'mot_de_passe',
  'motDePasse',
  'пароль',
  'パスワード',
  '密码',
  '密碼',
  '비밀번호',
  'şifre',
  'parola',
  'hasło',
  'wachtwoord',
  'رمز_عبور',
  'كلمة_المرور',
  'mật_khẩu',
  'kata_sandi',
  'heslo',
  'lösenord',
  'κωδικός_πρόσβασης',
  'סיסמה',
  'jelszó',
  'पासवर्ड',
  'รหัสผ่าน',
  'adgangskode',
  'passord',
  'salasana',
];
const SHORT_FORMS = ['pw', 'pwd', 'pass', 'passwd', 'passcode', 'pin', 'PIN', 'otp'];
const CARD_NAMES = [
  'cvv',
  'CVC',
  'csc',
  'cid',
  'security code',
  'card_number',
  'cardNumber',
  'cc-exp',
  'exp_month',
  'expiry',
  'kreditkarte',
];
const ACCOUNT_NAMES = ['iban', 'account_number', 'accountNo', 'routing', 'sort-code', 'bank_account'];
const NATIONAL_IDS = ['ssn', 'social_security', 'tax_id', 'taxId', 'passport', 'national_id', 'id_number', 'personnummer', 'dni', 'cpf'];
const SECRETS = [
  'token',
  'access_token',
  'api_key',
  'apiKey',
  'X-Api-Key',
  'secret',
  'client_secret',
  'authorization',
  'session',
  'session_id',
  'cookie',
  'csrfToken',
];
/** Whatever the case and separators. */
const spellings = (name: string) => [
  name,
  name.toUpperCase(),
  name.replace(/_/g, '-'),
  name.replace(/_/g, '.'),
  ` ${name} `,
  `user_${name}`,
];

describe('sensitive names corpus', () => {
  for (const name of [...PASSWORD_WORDS, ...SHORT_FORMS, ...CARD_NAMES, ...ACCOUNT_NAMES, ...NATIONAL_IDS, ...SECRETS]) {
    it(`knows ${name} in every spelling`, () => {
      for (const spelling of spellings(name)) expect(isSensitiveKey(spelling), spelling).toBe(true);
    });
  }

  it.each([
    'email',
    'name',
    'city',
    'plan',
    'shipping',
    'opinion',
    'spinner_speed',
    'company',
    'href',
    'text',
    'tag',
    'id',
    'rating',
    'delta',
    'navigationType',
    'depth',
    'path',
    'title',
    'value',
    'form_id',
    'action',
    'method',
    'filled',
    'fields',
  ])('keeps %s', (name) => {
    expect(isSensitiveKey(name)).toBe(false);
  });

  it('the SDK list is the short one; the servers know every language', () => {
    expect(isSensitiveField({ name: 'kennwort' })).toBe(false);
    expect(isSensitiveFieldServer({ name: 'kennwort' })).toBe(true);
    expect(isSensitiveField({ name: 'pw' })).toBe(true);
  });

  it('replaces a value under a sensitive name whole, whatever its shape, in any event type and at any depth', () => {
    const event = {
      event_id: 'e',
      type: 'booking_created',
      url: '/',
      path: '/',
      props: {
        pw: 'hunter2',
        kennwort: { nested: 'x' },
        cvv: 123,
        values: { password: 'hunter2', note: 'ok' },
        list: [
          {
            fields: [
              { name: 'Kennwort', value: 'geheim' },
              { name: 'city', value: 'Oslo' },
            ],
          },
        ],
      },
    };
    expect(redactEvent(event as unknown as TrailmarkEvent).props).toEqual({
      pw: SENSITIVE_VALUE,
      kennwort: SENSITIVE_VALUE,
      cvv: SENSITIVE_VALUE,
      values: { password: SENSITIVE_VALUE, note: 'ok' },
      list: [
        {
          fields: [
            { name: 'Kennwort', value: SENSITIVE_VALUE },
            { name: 'city', value: 'Oslo' },
          ],
        },
      ],
    });
  });
});
