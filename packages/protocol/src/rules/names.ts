/**
 * Sensitive names: a key (a prop, a form field, a query parameter, a trait) whose value is never stored, whatever
 * its shape. Two lists: the short one (`SENSITIVE_NAME`) is what the SDK can afford in the page, for the form fields
 * it captures; the servers run both, the long one (`isSensitiveKey`) adding the word for password in the languages
 * most used on the web, card, account and national-id names, and secrets (tokens, keys, sessions, cookies).
 */

/** What `isSensitiveField()` looks at: a form field's attributes. */
export interface FieldDescription {
  name?: string | null;
  id?: string | null;
  type?: string | null;
  autocomplete?: string | null;
}

const SENSITIVE_TYPES = new Set(['password', 'hidden']);
const SENSITIVE_AUTOCOMPLETE = /^(cc-|one-time-code$|current-password$|new-password$)/;
/**
 * Tested on a name in snake case (`cardNumber` → `card_number`): the short words (pin, otp, ssn, cvv, …) only as
 * whole words, so `shipping`, `opinion` and `spinner` stay, while `pinCode` and `user_pin` are caught.
 */
const SENSITIVE_NAME =
  /card|cc_?(num|no\b|exp)|security_?code|social_?security|pass|pwd|iban|token|secret|account_?(num|no\b)|routing|(^|[^a-z])(pw|pin|otp|ssn|cvv|cvc|csc|cid|cvn|tan)([^a-z]|$)/;
const snakeCase = (name: string) => name.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();

/** Whether a form field's value must never be captured, even when allowlisted (the SDK's list: the short one). */
export function isSensitiveField(field: FieldDescription, sensitiveName: (name: string) => boolean = isShortSensitiveName): boolean {
  if (field.type && SENSITIVE_TYPES.has(field.type.toLowerCase())) return true;
  // Every token: `current-password webauthn` and `section-pay cc-number` are both valid autocomplete values.
  const tokens = field.autocomplete?.toLowerCase().trim().split(/\s+/) ?? [];
  if (tokens.some((token) => SENSITIVE_AUTOCOMPLETE.test(token))) return true;
  return sensitiveName(field.name ?? '') || sensitiveName(field.id ?? '');
}

const isShortSensitiveName = (name: string) => SENSITIVE_NAME.test(snakeCase(name));

/**
 * Whole words (between `_` once a name is normalised): short forms and names that are only sensitive alone.
 * Passwords; card codes, number and expiry; accounts; national ids; secrets.
 */
const WORDS = [
  'pw|pwd|pswd|pass|passwd|passwrd|mdp|pin|pins|otp|totp|hotp|tan|mfa|2fa|clave|sifre|parola|parol|heslo|haslo|hasło|sandi|salasana',
  'cvv|cvv2|cvc|cvc2|csc|cid|cvn|cav2|cvd|ccv|cc|ccn|ccnum|ccno|exp|expiry|expires|expiration|karte|tarjeta|carte|cartao|carta',
  'iban|acct|rib|bsb|konto|kontonummer|routing|aba|sortcode',
  'id_?number|ssn|sin|nin|nino|tin|dni|nie|nif|cpf|curp|rut|pesel|bsn|aadhaar|aadhar|insee|personnummer|passport|passeport|reisepass|pasaporte',
  'token|tokens|jwt|bearer|secret|secrets|auth|authorization|authorisation|cookie|cookies|session|sessionid|sid|apikey|credential|credentials|signature|sig|privatekey',
].join('|');

/** Pieces of names, matched anywhere in the normalised name (`newpassword`, `x_csrf_token`, `kreditkarte`). */
const PIECES = [
  // Password in English and in the languages most used on the web (accents removed by the normalisation).
  'password|passwort|passcode|passphrase|kennwort|wachtwoord|contrasena|contrassenya|senha|mot_?de_?passe|motdepasse',
  'parola_?d_?ordine|parolă|lozinka|geslo|jelszo|losenord|adgangskode|passord|salasana|kata_?sandi|kata_?laluan|mat_?khau',
  'пароль|парола|лозинка|κωδικος_?προσβασης|συνθηματικο|סיסמה|סיסמא|كلمة_?المرور|كلمة_?السر|رمز_?عبور|گذرواژه',
  'पासवर्ड|कूटशब्द|รหัสผ่าน|パスワード|暗証番号|密码|密碼|口令|비밀번호|암호',
  // Card number, expiry and security code.
  'card|kreditkarte|security_?code|card_?code|valid_?thru|exp_?(?:date|month|year|mm|yy)',
  // Accounts.
  'account_?(?:number|num|no)|accountnumber|bank_?account|sort_?code|routing_?number',
  // National ids.
  'social_?security|tax_?(?:id|number|no)|taxid|national_?id|nationalid|steuer_?(?:id|nummer)|codice_?fiscale|sozialversicherung|driver_?s?_?licen[cs]e',
  // Secrets.
  'token|secret|api_?key|apikey|access_?key|private_?key|client_?key|authori[sz]ation|session_?(?:id|key|token)|one_?time|verification_?code|csrf|xsrf',
].join('|');

const SENSITIVE_KEY = new RegExp(`(?:^|_)(?:${WORDS})(?:_|$)|${PIECES}`, 'u');

/**
 * A name as words joined by `_`: camel case split (`cardNumber`), accents removed (`contraseña`, `lösenord`), case
 * folded, every run of other characters (`-`, `.`, space, `[`) one `_`.
 */
export function normaliseName(name: string): string {
  return (
    name
      .replace(/(\p{Ll}|\d)(\p{Lu})/gu, '$1_$2')
      .normalize('NFKD')
      // Latin, Greek and Cyrillic accents only: marks of other scripts (kana voicing, Hangul jamo) recompose.
      .replace(/[\u0300-\u036f]/g, '')
      .normalize('NFC')
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}]+/gu, '_')
      .replace(/^_|_$/g, '')
  );
}

/** A name already in its normal form (`card_number`, `href`): most names are, and skip the normalisation. */
const NORMAL = /^[a-z\d]+(?:_[a-z\d]+)*$/;

/** `normaliseName`, skipped for a name already normal. */
export const normalName = (name: string): string => (NORMAL.test(name) ? name : normaliseName(name));

/** Whether a name in its normal form (`normalName`) is sensitive. */
export const isSensitiveNormalName = (normal: string): boolean => SENSITIVE_KEY.test(normal);

/** Whether a value under this name (a prop, a trait, a query parameter, a form field) is replaced whole. */
export function isSensitiveKey(name: string): boolean {
  return SENSITIVE_KEY.test(normalName(name));
}

/** The servers' form-field check: the SDK's attributes, and every name the long list knows. */
export const isSensitiveFieldServer = (field: FieldDescription) => isSensitiveField(field, isSensitiveKey);
