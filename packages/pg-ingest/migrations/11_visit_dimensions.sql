-- 11_visit_dimensions: a visit's channel, country and device as columns of user_sessions (issue 22).
-- Rollback:
--   DROP INDEX IF EXISTS idx_user_sessions_by_visitor, idx_user_sessions_panels, idx_user_sessions_by_channel,
--     idx_user_sessions_by_country, idx_user_sessions_by_device;
--   ALTER TABLE user_sessions DROP COLUMN channel, DROP COLUMN country, DROP COLUMN device;
--   DROP FUNCTION IF EXISTS visit_channel(TEXT, TEXT, TEXT, TEXT), zone_country(TEXT), screen_device(INTEGER);
--   CREATE INDEX IF NOT EXISTS idx_user_sessions_by_visitor ON user_sessions (site_id, visitor_id)
--       INCLUDE (session_start, bot, pageview_count, bounce, duration_seconds, referrer_type, referrer_platform,
--                utm_source, utm_medium, timezone, screen_width);
--   CREATE INDEX IF NOT EXISTS idx_user_sessions_panels ON user_sessions (site_id, session_start)
--       INCLUDE (bot, visitor_id, pageview_count, bounce, duration_seconds);
--
-- Why: the source, country and device breakdowns (three of the first screen's panels, and a filter by any of them)
-- derived each visit's value at request time, for every visit of the range: the channel rules' regular
-- expressions, a lookup in the time-zone table, the device widths (at a million events 190, 170 and 150 ms of
-- backend CPU, the costliest of the first screen's requests). Stored generated columns hold the same values,
-- computed when a session is written, so those panels group a plain column as the browser and OS ones do
-- (migration 09). The functions are the protocol's rules, written out (report-rollups.test.ts holds them equal):
-- * visit_channel(): channelOf() of @trailmark/protocol over the stored UTM medium and source, source type and
--   platform: CHANNEL_PATTERNS, socialPlatforms(), in the same order.
-- * zone_country(): timezoneCountries() as one JSON object (a binary search of its keys), null for unknown zones.
-- * screen_device(): DEVICE_WIDTHS, null for an unknown or non-positive width.
-- Adding the columns rewrites user_sessions once, computing them for every existing visit (the backfill).
-- An index each in (value, visitor) order, with the summary's figures of a visit (idx_user_sessions_by_channel,
-- _by_country, _by_device): those panels count each (value, visitor) group as it streams past, where reading
-- idx_user_sessions_by_visitor (migration 10) in visitor order sorted each visitor's visits by value first (at a
-- million events the device breakdown 528 -> 240 ms). idx_user_sessions_by_visitor no longer carries the columns
-- the three were derived from (the referrer platform and UTM tags stay: the referrer and UTM breakdowns read them).
-- idx_user_sessions_panels (migration 09) carries the session id as well: the goals panel (and the completeness
-- one) join the range's visits to their rows by it, and read the whole table for want of it (12,700 pages at a
-- million events, where the index's range is about 2,300).
-- The goals panel reads 2,615 pages of idx_user_sessions_panels instead of the table's 13,400, but its time is the
-- hash of the range's visits against the goals: no CPU measurably saved.
-- Backend CPU at a million events (bench/dashboard-pg-cpu.mjs, best of 3, alternating with migration 10, load 8-13):
-- source 350-510 -> 210-230 ms, country 360-510 -> 190-210, device 290-420 -> 160-170; the first screen's SQL
-- 2,490-3,220 -> 2,360-2,370. The migration took 8.4-20.5 s on the million-event database (load 9-14).
-- Write cost: the ETL over 40,000 of the bench's events (bench/dashboard-etl-cpu.mjs, a fresh schema, batches of
-- 5,000) took 8.75 / 10.26 / 11.59 s of backend CPU migrated to 10 and 10.46 / 11.29 / 10.76 s migrated to 11, in
-- alternating runs at load 8-10 (median 10.3 -> 10.8 s, about 5 %, within the noise): three more indexes on every
-- session write and the generated columns computed with it (the first form, without the three indexes: 8.4 / 12.1
-- / 9.3 s against 9.2 / 10.9 / 9.0).

CREATE OR REPLACE FUNCTION visit_channel(utm_medium TEXT, utm_source TEXT, referrer_type TEXT, referrer_platform TEXT)
RETURNS TEXT LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN lower(utm_medium) ~ '^(e[-_ ]?mail|newsletter)$' OR lower(utm_source) ~ '^(e[-_ ]?mail|newsletter)$' THEN 'email'
        WHEN lower(utm_medium) ~ '^(display|banner|expandable|interstitial|cpm)$' THEN 'display'
        WHEN lower(utm_medium) ~ '^affiliates?$' THEN 'affiliates'
        WHEN referrer_type = 'social' OR (referrer_type = 'search' AND referrer_platform = ANY (ARRAY[
                'facebook', 'instagram', 'twitter', 'linkedin', 'reddit', 'pinterest', 'youtube', 'tiktok', 'threads',
                'mastodon', 'bluesky', 'hackernews', 'whatsapp', 'telegram', 'snapchat', 'vk', 'weibo']))
            THEN CASE WHEN lower(utm_medium) ~ '^(.*cp.*|ppc|retargeting|paid.*)$' THEN 'paid_social' ELSE 'social' END
        WHEN referrer_type = 'search'
            THEN CASE WHEN lower(utm_medium) ~ '^(.*cp.*|ppc|retargeting|paid.*)$' THEN 'paid_search' ELSE 'search' END
        WHEN lower(utm_medium) ~ '^(.*cp.*|ppc|retargeting|paid.*)$' THEN 'paid_other'
        WHEN referrer_type = 'direct' THEN 'direct'
        ELSE 'referral'
    END
$$;

CREATE OR REPLACE FUNCTION zone_country(timezone TEXT) RETURNS TEXT
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT '{
        "Europe/Andorra": "AD", "Asia/Dubai": "AE", "Asia/Kabul": "AF", "America/Antigua": "AG",
        "America/Anguilla": "AI", "Europe/Tirane": "AL", "Asia/Yerevan": "AM", "Africa/Luanda": "AO",
        "Antarctica/Casey": "AQ", "Antarctica/Davis": "AQ", "Antarctica/DumontDUrville": "AQ",
        "Antarctica/Mawson": "AQ", "Antarctica/McMurdo": "AQ", "Antarctica/Palmer": "AQ", "Antarctica/Rothera": "AQ",
        "Antarctica/Syowa": "AQ", "Antarctica/Troll": "AQ", "Antarctica/Vostok": "AQ",
        "America/Argentina/Buenos_Aires": "AR", "America/Argentina/Catamarca": "AR",
        "America/Argentina/ComodRivadavia": "AR", "America/Argentina/Cordoba": "AR", "America/Argentina/Jujuy": "AR",
        "America/Argentina/La_Rioja": "AR", "America/Argentina/Mendoza": "AR",
        "America/Argentina/Rio_Gallegos": "AR", "America/Argentina/Salta": "AR", "America/Argentina/San_Juan": "AR",
        "America/Argentina/San_Luis": "AR", "America/Argentina/Tucuman": "AR", "America/Argentina/Ushuaia": "AR",
        "America/Buenos_Aires": "AR", "America/Catamarca": "AR", "America/Cordoba": "AR", "America/Jujuy": "AR",
        "America/Mendoza": "AR", "America/Rosario": "AR", "Pacific/Pago_Pago": "AS", "Pacific/Samoa": "AS",
        "US/Samoa": "AS", "Europe/Vienna": "AT", "Antarctica/Macquarie": "AU", "Australia/ACT": "AU",
        "Australia/Adelaide": "AU", "Australia/Brisbane": "AU", "Australia/Broken_Hill": "AU",
        "Australia/Canberra": "AU", "Australia/Currie": "AU", "Australia/Darwin": "AU", "Australia/Eucla": "AU",
        "Australia/Hobart": "AU", "Australia/LHI": "AU", "Australia/Lindeman": "AU", "Australia/Lord_Howe": "AU",
        "Australia/Melbourne": "AU", "Australia/NSW": "AU", "Australia/North": "AU", "Australia/Perth": "AU",
        "Australia/Queensland": "AU", "Australia/South": "AU", "Australia/Sydney": "AU", "Australia/Tasmania": "AU",
        "Australia/Victoria": "AU", "Australia/West": "AU", "Australia/Yancowinna": "AU", "America/Aruba": "AW",
        "Europe/Mariehamn": "AX", "Asia/Baku": "AZ", "Europe/Sarajevo": "BA", "America/Barbados": "BB",
        "Asia/Dacca": "BD", "Asia/Dhaka": "BD", "Europe/Brussels": "BE", "Africa/Ouagadougou": "BF",
        "Europe/Sofia": "BG", "Asia/Bahrain": "BH", "Africa/Bujumbura": "BI", "Africa/Porto-Novo": "BJ",
        "America/St_Barthelemy": "BL", "Atlantic/Bermuda": "BM", "Asia/Brunei": "BN", "America/La_Paz": "BO",
        "America/Kralendijk": "BQ", "America/Araguaina": "BR", "America/Bahia": "BR", "America/Belem": "BR",
        "America/Boa_Vista": "BR", "America/Campo_Grande": "BR", "America/Cuiaba": "BR", "America/Eirunepe": "BR",
        "America/Fortaleza": "BR", "America/Maceio": "BR", "America/Manaus": "BR", "America/Noronha": "BR",
        "America/Porto_Acre": "BR", "America/Porto_Velho": "BR", "America/Recife": "BR", "America/Rio_Branco": "BR",
        "America/Santarem": "BR", "America/Sao_Paulo": "BR", "Brazil/Acre": "BR", "Brazil/DeNoronha": "BR",
        "Brazil/East": "BR", "Brazil/West": "BR", "America/Nassau": "BS", "Asia/Thimbu": "BT", "Asia/Thimphu": "BT",
        "Africa/Gaborone": "BW", "Europe/Minsk": "BY", "America/Belize": "BZ", "America/Atikokan": "CA",
        "America/Blanc-Sablon": "CA", "America/Cambridge_Bay": "CA", "America/Creston": "CA", "America/Dawson": "CA",
        "America/Dawson_Creek": "CA", "America/Edmonton": "CA", "America/Fort_Nelson": "CA",
        "America/Glace_Bay": "CA", "America/Goose_Bay": "CA", "America/Halifax": "CA", "America/Inuvik": "CA",
        "America/Iqaluit": "CA", "America/Moncton": "CA", "America/Montreal": "CA", "America/Nipigon": "CA",
        "America/Pangnirtung": "CA", "America/Rainy_River": "CA", "America/Rankin_Inlet": "CA",
        "America/Regina": "CA", "America/Resolute": "CA", "America/St_Johns": "CA", "America/Swift_Current": "CA",
        "America/Thunder_Bay": "CA", "America/Toronto": "CA", "America/Vancouver": "CA", "America/Whitehorse": "CA",
        "America/Winnipeg": "CA", "America/Yellowknife": "CA", "Canada/Atlantic": "CA", "Canada/Central": "CA",
        "Canada/Eastern": "CA", "Canada/Mountain": "CA", "Canada/Newfoundland": "CA", "Canada/Pacific": "CA",
        "Canada/Saskatchewan": "CA", "Canada/Yukon": "CA", "Indian/Cocos": "CC", "Africa/Kinshasa": "CD",
        "Africa/Lubumbashi": "CD", "Africa/Bangui": "CF", "Africa/Brazzaville": "CG", "Europe/Zurich": "CH",
        "Africa/Abidjan": "CI", "Africa/Timbuktu": "CI", "Pacific/Rarotonga": "CK", "America/Coyhaique": "CL",
        "America/Punta_Arenas": "CL", "America/Santiago": "CL", "Chile/Continental": "CL",
        "Chile/EasterIsland": "CL", "Pacific/Easter": "CL", "Africa/Douala": "CM", "Asia/Chongqing": "CN",
        "Asia/Chungking": "CN", "Asia/Harbin": "CN", "Asia/Kashgar": "CN", "Asia/Shanghai": "CN",
        "Asia/Urumqi": "CN", "America/Bogota": "CO", "America/Costa_Rica": "CR", "America/Havana": "CU",
        "Atlantic/Cape_Verde": "CV", "America/Curacao": "CW", "Indian/Christmas": "CX", "Asia/Famagusta": "CY",
        "Asia/Nicosia": "CY", "Europe/Nicosia": "CY", "Europe/Prague": "CZ", "Atlantic/Jan_Mayen": "DE",
        "Europe/Berlin": "DE", "Europe/Busingen": "DE", "Africa/Djibouti": "DJ", "Europe/Copenhagen": "DK",
        "America/Dominica": "DM", "America/Santo_Domingo": "DO", "Africa/Algiers": "DZ", "America/Guayaquil": "EC",
        "Pacific/Galapagos": "EC", "Europe/Tallinn": "EE", "Africa/Cairo": "EG", "Africa/El_Aaiun": "EH",
        "Africa/Asmara": "ER", "Africa/Ceuta": "ES", "Atlantic/Canary": "ES", "Europe/Madrid": "ES",
        "Africa/Addis_Ababa": "ET", "Europe/Helsinki": "FI", "Pacific/Fiji": "FJ", "Atlantic/Stanley": "FK",
        "Pacific/Chuuk": "FM", "Pacific/Kosrae": "FM", "Pacific/Pohnpei": "FM", "Atlantic/Faeroe": "FO",
        "Atlantic/Faroe": "FO", "Europe/Paris": "FR", "Africa/Libreville": "GA", "Europe/Belfast": "GB",
        "Europe/London": "GB", "America/Grenada": "GD", "Asia/Tbilisi": "GE", "America/Cayenne": "GF",
        "Europe/Guernsey": "GG", "Africa/Accra": "GH", "Europe/Gibraltar": "GI", "America/Danmarkshavn": "GL",
        "America/Godthab": "GL", "America/Nuuk": "GL", "America/Scoresbysund": "GL", "America/Thule": "GL",
        "Africa/Banjul": "GM", "Africa/Conakry": "GN", "America/Guadeloupe": "GP", "Africa/Malabo": "GQ",
        "Europe/Athens": "GR", "Atlantic/South_Georgia": "GS", "America/Guatemala": "GT", "Pacific/Guam": "GU",
        "Africa/Bissau": "GW", "America/Guyana": "GY", "Asia/Hong_Kong": "HK", "America/Tegucigalpa": "HN",
        "Europe/Zagreb": "HR", "America/Port-au-Prince": "HT", "Europe/Budapest": "HU", "Asia/Jakarta": "ID",
        "Asia/Jayapura": "ID", "Asia/Makassar": "ID", "Asia/Pontianak": "ID", "Asia/Ujung_Pandang": "ID",
        "Europe/Dublin": "IE", "Asia/Jerusalem": "IL", "Asia/Tel_Aviv": "IL", "Europe/Isle_of_Man": "IM",
        "Asia/Calcutta": "IN", "Asia/Kolkata": "IN", "Indian/Chagos": "IO", "Asia/Baghdad": "IQ",
        "Asia/Tehran": "IR", "Atlantic/Reykjavik": "IS", "Europe/Rome": "IT", "Europe/Jersey": "JE",
        "America/Jamaica": "JM", "Asia/Amman": "JO", "Asia/Tokyo": "JP", "Africa/Asmera": "KE",
        "Africa/Nairobi": "KE", "Asia/Bishkek": "KG", "Asia/Phnom_Penh": "KH", "Pacific/Enderbury": "KI",
        "Pacific/Kanton": "KI", "Pacific/Kiritimati": "KI", "Pacific/Tarawa": "KI", "Indian/Comoro": "KM",
        "America/St_Kitts": "KN", "Asia/Pyongyang": "KP", "Asia/Seoul": "KR", "Asia/Kuwait": "KW",
        "America/Cayman": "KY", "Asia/Almaty": "KZ", "Asia/Aqtau": "KZ", "Asia/Aqtobe": "KZ", "Asia/Atyrau": "KZ",
        "Asia/Oral": "KZ", "Asia/Qostanay": "KZ", "Asia/Qyzylorda": "KZ", "Asia/Vientiane": "LA",
        "Asia/Beirut": "LB", "America/St_Lucia": "LC", "Europe/Vaduz": "LI", "Asia/Colombo": "LK",
        "Africa/Monrovia": "LR", "Africa/Maseru": "LS", "Europe/Vilnius": "LT", "Europe/Luxembourg": "LU",
        "Europe/Riga": "LV", "Africa/Tripoli": "LY", "Africa/Casablanca": "MA", "Europe/Monaco": "MC",
        "Europe/Chisinau": "MD", "Europe/Tiraspol": "MD", "Europe/Podgorica": "ME", "America/Marigot": "MF",
        "Indian/Antananarivo": "MG", "Pacific/Kwajalein": "MH", "Pacific/Majuro": "MH", "Europe/Skopje": "MK",
        "Africa/Bamako": "ML", "Asia/Rangoon": "MM", "Asia/Yangon": "MM", "Asia/Choibalsan": "MN", "Asia/Hovd": "MN",
        "Asia/Ulaanbaatar": "MN", "Asia/Ulan_Bator": "MN", "Asia/Macao": "MO", "Asia/Macau": "MO",
        "Pacific/Saipan": "MP", "America/Martinique": "MQ", "Africa/Nouakchott": "MR", "America/Montserrat": "MS",
        "Europe/Malta": "MT", "Indian/Mauritius": "MU", "Indian/Maldives": "MV", "Africa/Blantyre": "MW",
        "America/Bahia_Banderas": "MX", "America/Cancun": "MX", "America/Chihuahua": "MX",
        "America/Ciudad_Juarez": "MX", "America/Ensenada": "MX", "America/Hermosillo": "MX",
        "America/Matamoros": "MX", "America/Mazatlan": "MX", "America/Merida": "MX", "America/Mexico_City": "MX",
        "America/Monterrey": "MX", "America/Ojinaga": "MX", "America/Santa_Isabel": "MX", "America/Tijuana": "MX",
        "Mexico/BajaNorte": "MX", "Mexico/BajaSur": "MX", "Mexico/General": "MX", "Asia/Kuala_Lumpur": "MY",
        "Asia/Kuching": "MY", "Africa/Maputo": "MZ", "Africa/Windhoek": "NA", "Pacific/Noumea": "NC",
        "Africa/Niamey": "NE", "Pacific/Norfolk": "NF", "Africa/Lagos": "NG", "America/Managua": "NI",
        "Europe/Amsterdam": "NL", "Europe/Oslo": "NO", "Asia/Kathmandu": "NP", "Asia/Katmandu": "NP",
        "Pacific/Nauru": "NR", "Pacific/Niue": "NU", "Antarctica/South_Pole": "NZ", "Pacific/Auckland": "NZ",
        "Pacific/Chatham": "NZ", "Asia/Muscat": "OM", "America/Coral_Harbour": "PA", "America/Panama": "PA",
        "America/Lima": "PE", "Pacific/Gambier": "PF", "Pacific/Marquesas": "PF", "Pacific/Tahiti": "PF",
        "Pacific/Bougainville": "PG", "Pacific/Port_Moresby": "PG", "Pacific/Truk": "PG", "Pacific/Yap": "PG",
        "Asia/Manila": "PH", "Asia/Karachi": "PK", "Europe/Warsaw": "PL", "America/Miquelon": "PM",
        "Pacific/Pitcairn": "PN", "America/Puerto_Rico": "PR", "America/Virgin": "PR", "Asia/Gaza": "PS",
        "Asia/Hebron": "PS", "Atlantic/Azores": "PT", "Atlantic/Madeira": "PT", "Europe/Lisbon": "PT",
        "Pacific/Palau": "PW", "America/Asuncion": "PY", "Asia/Qatar": "QA", "Indian/Reunion": "RE",
        "Europe/Bucharest": "RO", "Europe/Belgrade": "RS", "Asia/Anadyr": "RU", "Asia/Barnaul": "RU",
        "Asia/Chita": "RU", "Asia/Irkutsk": "RU", "Asia/Kamchatka": "RU", "Asia/Khandyga": "RU",
        "Asia/Krasnoyarsk": "RU", "Asia/Magadan": "RU", "Asia/Novokuznetsk": "RU", "Asia/Novosibirsk": "RU",
        "Asia/Omsk": "RU", "Asia/Sakhalin": "RU", "Asia/Srednekolymsk": "RU", "Asia/Tomsk": "RU",
        "Asia/Ust-Nera": "RU", "Asia/Vladivostok": "RU", "Asia/Yakutsk": "RU", "Asia/Yekaterinburg": "RU",
        "Europe/Astrakhan": "RU", "Europe/Kaliningrad": "RU", "Europe/Kirov": "RU", "Europe/Moscow": "RU",
        "Europe/Samara": "RU", "Europe/Saratov": "RU", "Europe/Ulyanovsk": "RU", "Europe/Volgograd": "RU",
        "Africa/Kigali": "RW", "Asia/Riyadh": "SA", "Pacific/Guadalcanal": "SB", "Pacific/Ponape": "SB",
        "Indian/Mahe": "SC", "Africa/Khartoum": "SD", "Europe/Stockholm": "SE", "Asia/Singapore": "SG",
        "Atlantic/St_Helena": "SH", "Europe/Ljubljana": "SI", "Arctic/Longyearbyen": "SJ", "Europe/Bratislava": "SK",
        "Africa/Freetown": "SL", "Europe/San_Marino": "SM", "Africa/Dakar": "SN", "Africa/Mogadishu": "SO",
        "America/Paramaribo": "SR", "Africa/Juba": "SS", "Africa/Sao_Tome": "ST", "America/El_Salvador": "SV",
        "America/Lower_Princes": "SX", "Asia/Damascus": "SY", "Africa/Mbabane": "SZ", "America/Grand_Turk": "TC",
        "Africa/Ndjamena": "TD", "Indian/Kerguelen": "TF", "Africa/Lome": "TG", "Asia/Bangkok": "TH",
        "Asia/Dushanbe": "TJ", "Pacific/Fakaofo": "TK", "Asia/Dili": "TL", "Asia/Ashgabat": "TM",
        "Asia/Ashkhabad": "TM", "Africa/Tunis": "TN", "Pacific/Tongatapu": "TO", "Asia/Istanbul": "TR",
        "Europe/Istanbul": "TR", "America/Port_of_Spain": "TT", "Pacific/Funafuti": "TV", "Asia/Taipei": "TW",
        "Africa/Dar_es_Salaam": "TZ", "Europe/Kiev": "UA", "Europe/Kyiv": "UA", "Europe/Simferopol": "UA",
        "Europe/Uzhgorod": "UA", "Europe/Zaporozhye": "UA", "Africa/Kampala": "UG", "Pacific/Midway": "UM",
        "Pacific/Wake": "UM", "America/Adak": "US", "America/Anchorage": "US", "America/Atka": "US",
        "America/Boise": "US", "America/Chicago": "US", "America/Denver": "US", "America/Detroit": "US",
        "America/Fort_Wayne": "US", "America/Indiana/Indianapolis": "US", "America/Indiana/Knox": "US",
        "America/Indiana/Marengo": "US", "America/Indiana/Petersburg": "US", "America/Indiana/Tell_City": "US",
        "America/Indiana/Vevay": "US", "America/Indiana/Vincennes": "US", "America/Indiana/Winamac": "US",
        "America/Indianapolis": "US", "America/Juneau": "US", "America/Kentucky/Louisville": "US",
        "America/Kentucky/Monticello": "US", "America/Knox_IN": "US", "America/Los_Angeles": "US",
        "America/Louisville": "US", "America/Menominee": "US", "America/Metlakatla": "US", "America/New_York": "US",
        "America/Nome": "US", "America/North_Dakota/Beulah": "US", "America/North_Dakota/Center": "US",
        "America/North_Dakota/New_Salem": "US", "America/Phoenix": "US", "America/Shiprock": "US",
        "America/Sitka": "US", "America/Yakutat": "US", "Pacific/Honolulu": "US", "Pacific/Johnston": "US",
        "US/Alaska": "US", "US/Aleutian": "US", "US/Arizona": "US", "US/Central": "US", "US/East-Indiana": "US",
        "US/Eastern": "US", "US/Hawaii": "US", "US/Indiana-Starke": "US", "US/Michigan": "US", "US/Mountain": "US",
        "US/Pacific": "US", "America/Montevideo": "UY", "Asia/Samarkand": "UZ", "Asia/Tashkent": "UZ",
        "Europe/Vatican": "VA", "America/St_Vincent": "VC", "America/Caracas": "VE", "America/Tortola": "VG",
        "America/St_Thomas": "VI", "Asia/Ho_Chi_Minh": "VN", "Asia/Saigon": "VN", "Pacific/Efate": "VU",
        "Pacific/Wallis": "WF", "Pacific/Apia": "WS", "Asia/Aden": "YE", "Indian/Mayotte": "YT",
        "Africa/Johannesburg": "ZA", "Africa/Lusaka": "ZM", "Africa/Harare": "ZW"
    }'::jsonb ->> timezone
$$;

CREATE OR REPLACE FUNCTION screen_device(screen_width INTEGER) RETURNS TEXT
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN screen_width IS NULL OR screen_width <= 0 THEN NULL
        WHEN screen_width < 576 THEN 'Mobile'
        WHEN screen_width < 992 THEN 'Tablet'
        WHEN screen_width < 1440 THEN 'Laptop'
        ELSE 'Desktop'
    END
$$;

-- Both indexes are made again below, after the rewrite (which would otherwise build them once more first).
DROP INDEX IF EXISTS idx_user_sessions_by_visitor, idx_user_sessions_panels;

ALTER TABLE user_sessions
    ADD COLUMN IF NOT EXISTS channel TEXT
        GENERATED ALWAYS AS (visit_channel(utm_medium, utm_source, referrer_type, referrer_platform)) STORED,
    ADD COLUMN IF NOT EXISTS country TEXT GENERATED ALWAYS AS (zone_country(timezone)) STORED,
    ADD COLUMN IF NOT EXISTS device TEXT GENERATED ALWAYS AS (screen_device(screen_width)) STORED;

CREATE INDEX idx_user_sessions_by_visitor ON user_sessions (site_id, visitor_id)
    INCLUDE (session_start, bot, pageview_count, bounce, duration_seconds, referrer_platform, utm_source, utm_medium);
CREATE INDEX idx_user_sessions_by_channel ON user_sessions (site_id, channel, visitor_id)
    INCLUDE (session_start, bot, pageview_count, bounce, duration_seconds);
CREATE INDEX idx_user_sessions_by_country ON user_sessions (site_id, country, visitor_id)
    INCLUDE (session_start, bot, pageview_count, bounce, duration_seconds);
CREATE INDEX idx_user_sessions_by_device ON user_sessions (site_id, device, visitor_id)
    INCLUDE (session_start, bot, pageview_count, bounce, duration_seconds);
CREATE INDEX idx_user_sessions_panels ON user_sessions (site_id, session_start)
    INCLUDE (bot, visitor_id, pageview_count, bounce, duration_seconds, session_id);

-- Statistics of the new columns for the panels' plans: they have none until an analyze, and autovacuum counts no
-- change for the rewrite.
ANALYZE user_sessions;
